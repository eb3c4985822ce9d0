import type { Connection } from 'mongoose';
import { messageIdOf } from '../mail/outbox.js';
import { notificationModels } from '../reminders/notifications.js';
import { insertNew, isDuplicateKey } from './db.js';

/**
 * Data stored by earlier versions, brought to today's shape once at start-up (after the indexes are
 * synced, so old unique indexes that would refuse the copies are gone). Each migration is recorded in
 * `migrations` by name and written to be re-run safely: a start-up stopped halfway finishes it next time.
 */
const MIGRATIONS: { name: string; run(conn: Connection): Promise<void> }[] = [
  {
    // Records found by something other than _id got it as their _id, because FerretDB scans for any other filter.
    name: '2026-11-keyed-ids',
    async run(conn) {
      await rekey(conn, 'actions', (d) => d.key);
      await rekey(conn, 'credentials', (d) => d.hash, (d) => ({ tokenId: String(d._id), hash: undefined }));
      await rekey(conn, 'reviews', (d) => d.incidentId);
      await rekey(conn, 'outbox', (d) => d.dedupeKey && messageIdOf(String(d.dedupeKey)));
      await rekey(conn, 'snapshots', (d) => d.incidentId && `${String(d.incidentId)}:${String(d.number)}`);
    },
  },
  {
    // A claim was found by its key field, which FerretDB scans for; the key is its _id now.
    name: '2026-11-claims-keyed',
    async run(conn) {
      await rekey(conn, 'claims', (d) => d.key);
    },
  },
  {
    // A notification's report was a field on it; it is now a document of its own (src/reminders/notifications.ts).
    name: '2026-11-notification-reports',
    async run(conn) {
      const { notificationReports } = notificationModels(conn);
      const at = new Date();
      let batch: { _id: string; digestKey: string; at: Date }[] = [];
      for await (const n of conn.db!.collection('notifications').find({ digestKey: { $type: 'string' } }, { projection: { digestKey: 1 } })) {
        batch.push({ _id: String(n._id), digestKey: String(n.digestKey), at });
        if (batch.length === 500) {
          await insertNew(notificationReports, batch);
          batch = [];
        }
      }
      await insertNew(notificationReports, batch);
    },
  },
  {
    // A new incident's key was claimed in a collection of its own; the incidents' unique key holds the claim now.
    name: '2026-12-incident-keys-dropped',
    async run(conn) {
      if ((await conn.db!.listCollections({ name: 'incidentkeys' }, { nameOnly: true }).toArray()).length) await conn.db!.dropCollection('incidentkeys');
    },
  },
];

export async function migrate(conn: Connection): Promise<string[]> {
  const done = conn.db!.collection<{ _id: string; at: Date }>('migrations');
  const ran: string[] = [];
  for (const m of MIGRATIONS) {
    if (await done.findOne({ _id: m.name })) continue;
    await m.run(conn);
    await done.updateOne({ _id: m.name }, { $set: { at: new Date() } }, { upsert: true });
    ran.push(m.name);
  }
  return ran;
}

/** Gives each record whose _id is not `idOf(record)` that _id: the copy is inserted first, then the original removed. */
async function rekey(conn: Connection, collection: string, idOf: (doc: Record<string, any>) => unknown, extra: (doc: Record<string, any>) => Record<string, unknown> = () => ({})) {
  const coll = conn.db!.collection<Record<string, any>>(collection);
  for await (const doc of coll.find({})) {
    const id = idOf(doc);
    // Already keyed (or not of the old shape at all).
    if (id === undefined || id === null || String(id) === String(doc._id)) continue;
    const copy: Record<string, unknown> = { ...doc, ...extra(doc), _id: id };
    for (const [k, v] of Object.entries(copy)) if (v === undefined) delete copy[k];
    try {
      await coll.insertOne(copy);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    await coll.deleteOne({ _id: doc._id });
  }
}
