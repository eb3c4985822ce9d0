import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { isDuplicateKey } from './db.js';

/** A change to stored data, run once per database (the list is src/migrations.ts). */
export interface Migration {
  name: string;
  run(conn: Connection): Promise<void>;
}

interface MigrationDoc {
  _id: string;
  at: Date;
  by?: string;
}

/** The claim on running migrations is the document with this `_id` in `migrations`; its holder renews it. */
const CLAIM_ID = 'claim:running';
const RENEW_MS = 5_000;
/** A claim not renewed for this long was left by a process that stopped mid-way; the next one takes over. */
const STALE_MS = 30_000;
const POLL_MS = 200;

/**
 * Runs the migrations not recorded as done in `migrations` (by name), in order. Two processes starting
 * together must not both run them, so the runner first claims the document CLAIM_ID: inserting an `_id`
 * that exists fails on every store, which makes the insert the one atomic step (src/lib/claims.ts relies on
 * the same). The other process waits for the claim to go and then finds the migrations done. Wall time is
 * right here, not the injected clock: the claim is between processes, not a rule of the domain.
 */
export async function migrate(conn: Connection, migrations: Migration[]): Promise<string[]> {
  const done = conn.db!.collection<MigrationDoc>('migrations');
  const pending = async () => {
    const out: Migration[] = [];
    for (const m of migrations) if (!(await done.findOne({ _id: m.name }))) out.push(m);
    return out;
  };
  if (!(await pending()).length) return [];
  const by = randomUUID();
  await takeClaim(conn, by);
  const renew = setInterval(() => void done.updateOne({ _id: CLAIM_ID, by }, { $set: { at: new Date() } }).catch(() => undefined), RENEW_MS);
  try {
    const ran: string[] = [];
    for (const m of await pending()) {
      await m.run(conn);
      await done.updateOne({ _id: m.name }, { $set: { at: new Date() } }, { upsert: true });
      ran.push(m.name);
    }
    return ran;
  } finally {
    clearInterval(renew);
    await done.deleteOne({ _id: CLAIM_ID, by });
  }
}

/** Waits until this process holds the claim: inserted by it, or taken over from a holder that stopped renewing. */
async function takeClaim(conn: Connection, by: string): Promise<void> {
  const done = conn.db!.collection<MigrationDoc>('migrations');
  for (;;) {
    try {
      await done.insertOne({ _id: CLAIM_ID, by, at: new Date() });
      return;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const held = await done.findOne({ _id: CLAIM_ID });
    // Removed only as the stale holder's (its `by`): a claim taken since is another's and stays.
    if (held && Date.now() - held.at.getTime() > STALE_MS) await done.deleteOne({ _id: CLAIM_ID, by: held.by });
    else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Gives each record whose _id is not `idOf(record)` that _id: the copy is inserted first, then the original removed. */
export async function rekey(conn: Connection, collection: string, idOf: (doc: Record<string, any>) => unknown, extra: (doc: Record<string, any>) => Record<string, unknown> = () => ({})) {
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
