import type { Connection } from 'mongoose';
import { insertNew } from './lib/db.js';
import { rekey, type Migration } from './lib/migrations.js';
import { messageIdOf } from './mail/outbox.js';
import { notificationModels, queued, type NotificationDoc, type QueuedNotificationDoc } from './reminders/notifications.js';

/**
 * Data stored by earlier versions, brought to today's shape once at start-up (after the indexes are
 * synced, so old unique indexes that would refuse the copies are gone), in this order, by the runner in
 * src/lib/migrations.ts. Each is written to be re-run safely: a start-up stopped halfway finishes it next time.
 */
export const MIGRATIONS: Migration[] = [
  {
    // Records found by something other than _id got it as their _id, because FerretDB scans for any other filter.
    name: '2026-11-keyed-ids',
    async run(conn: Connection) {
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
    async run(conn: Connection) {
      await rekey(conn, 'claims', (d) => d.key);
    },
  },
  {
    // A notification's report was a field on it; it is now a document of its own (src/reminders/notifications.ts).
    name: '2026-11-notification-reports',
    async run(conn: Connection) {
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
    // Pending notifications were found by reading every notification and every report; they are queued now (src/reminders/notifications.ts).
    name: '2026-12-notification-queue',
    async run(conn: Connection) {
      const { notificationReports, notificationQueue } = notificationModels(conn);
      const reported = new Set((await notificationReports.find({}, { _id: 1 }).lean<{ _id: string }[]>()).map((r) => r._id));
      let batch: QueuedNotificationDoc[] = [];
      for await (const n of conn.db!.collection<NotificationDoc>('notifications').find({})) {
        if (!reported.has(String(n._id))) batch.push(queued(n));
        if (batch.length === 500) {
          await insertNew(notificationQueue, batch);
          batch = [];
        }
      }
      await insertNew(notificationQueue, batch);
    },
  },
  {
    // A new incident's key was claimed in a collection of its own; the incidents' unique key holds the claim now.
    name: '2026-12-incident-keys-dropped',
    async run(conn: Connection) {
      if ((await conn.db!.listCollections({ name: 'incidentkeys' }, { nameOnly: true }).toArray()).length) await conn.db!.dropCollection('incidentkeys');
    },
  },
];
