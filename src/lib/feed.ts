import { Schema, type Connection, type Model } from 'mongoose';
import type { Clock } from './clock.js';
import { isDuplicateKey } from './db.js';
import { markWritten } from './request-scope.js';

/**
 * The change feed: every write to mirrored collections appends one entry naming the records, so each
 * process's read model (src/lib/mirror.ts) learns what changed by reading the entries after the last
 * one it saw. Every read and write here is by `_id`, the only lookup FerretDB answers from an index.
 *
 * An entry's `_id` is its sequence number, zero-padded so that string order is number order. Numbers
 * are claimed by insert (a duplicate key means another writer took it), always the first free one, so
 * the taken numbers stay contiguous from the last pruned one: "the next entry" is always `head + 1`.
 */
export interface FeedChange {
  /** The mirrored entity: incident, action, user, review, comment, credential. */
  entity: string;
  id: string;
  /**
   * The version the record has once the write lands (0 for a new record, REMOVED for a deletion), so a
   * reader that arrives before the write keeps looking; absent when the record is only to be reloaded.
   */
  v?: number;
}

export interface FeedEntry {
  _id: string;
  /** One write's records: an incident filed with its actions is one entry. */
  changes: FeedChange[];
  at: Date;
}

/** An entry as written before entries could name several records. */
interface SingleChangeEntry extends FeedChange {
  _id: string;
  at: Date;
}

export const REMOVED = -1;

/** `_id: "pruned"`: entries up to `seq` were deleted; a reader behind it must load everything again. */
interface FeedMetaDoc {
  _id: string;
  seq: number;
}

const SEQ_DIGITS = 12;
export const seqId = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
/** How many entries a reader asks for at once when catching up. */
const READ_BATCH = 16;
const MAX_APPEND_ATTEMPTS = 1000;
/** How many of its own recent entries a process remembers, so that reading them back needs no round trip. */
const OWN_ENTRIES = 1000;

export function feedModels(conn: Connection) {
  const change = new Schema<FeedChange>({ entity: { type: String, required: true }, id: { type: String, required: true }, v: Number }, { _id: false });
  const entry = new Schema<FeedEntry>({ _id: { type: String, required: true }, changes: { type: [change], required: true }, at: { type: Date, required: true } }, { versionKey: false });
  const meta = new Schema<FeedMetaDoc>({ _id: { type: String, required: true }, seq: { type: Number, required: true } }, { versionKey: false });
  return {
    feed: (conn.models.FeedEntry as Model<FeedEntry> | undefined) ?? conn.model<FeedEntry>('FeedEntry', entry, 'feed'),
    feedMeta: (conn.models.FeedMeta as Model<FeedMetaDoc> | undefined) ?? conn.model<FeedMetaDoc>('FeedMeta', meta, 'feedmeta'),
  };
}

export class Feed {
  /** The highest sequence number known to be taken (-1: not looked up yet). */
  private known = -1;
  /** This process's appends, one after another: they would only race each other for the same number. */
  private appending: Promise<unknown> = Promise.resolve();
  /** This process's own recent entries by number: a reader catching up takes them from here. */
  private readonly own = new Map<number, FeedEntry>();

  constructor(private readonly deps: { feed: Model<FeedEntry>; feedMeta: Model<FeedMetaDoc>; clock: Clock }) {}

  /**
   * Announces a write of `entity` `id` that leaves it at `version` (see FeedEntry.v). Announced before
   * the write (new records) or between claiming and writing (versioned edits), so a writer that stops
   * after writing has always announced it.
   */
  async append(entity: string, id: string, version?: number): Promise<void> {
    return this.appendAll([{ entity, id, ...(version === undefined ? {} : { v: version }) }]);
  }

  /** Announces one write of several records (see append) as a single entry. */
  async appendAll(changes: FeedChange[]): Promise<void> {
    markWritten();
    const done = this.appending.then(() => this.claim(changes));
    this.appending = done.catch(() => undefined);
    return done;
  }

  private async claim(changes: FeedChange[]): Promise<void> {
    // Usually the next number after the last one this process saw is free; a duplicate says otherwise.
    let seq = (this.known >= 0 ? this.known : await this.head()) + 1;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      try {
        const entry: FeedEntry = { _id: seqId(seq), changes, at: this.deps.clock.now() };
        await this.deps.feed.create(entry);
        this.known = Math.max(this.known, seq);
        this.own.set(seq, entry);
        if (this.own.size > OWN_ENTRIES) this.own.delete(this.own.keys().next().value!);
        return;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        this.known = Math.max(this.known, seq);
        seq = (await this.head()) + 1;
      }
    }
    throw new Error('change feed: could not append under heavy concurrent writing');
  }

  /** The last entry's number: galloping then bisecting by `_id` from the last one known (or the pruned mark). */
  async head(): Promise<number> {
    let lo = this.known >= 0 ? this.known : await this.prunedUpTo();
    let step = 1;
    let hi = lo + step;
    while (await this.exists(hi)) {
      lo = hi;
      step *= 2;
      hi = lo + step;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.exists(mid)) lo = mid;
      else hi = mid;
    }
    this.known = Math.max(this.known, lo);
    return lo;
  }

  /**
   * The entries after `seq`, in order, until the first number not taken yet. This process's own
   * entries cost nothing; the others are read one, then in doubling batches, so a reader with
   * nothing new to learn sends one read.
   */
  async after(seq: number): Promise<FeedEntry[]> {
    const out: FeedEntry[] = [];
    let next = seq + 1;
    let batch = 1;
    for (;;) {
      const own = this.own.get(next);
      if (own) {
        out.push(own);
        next++;
        continue;
      }
      const read = await Promise.all(Array.from({ length: batch }, (_, i) => this.own.get(next + i) ?? this.read(next + i)));
      const missing = read.indexOf(null);
      out.push(...(read.slice(0, missing < 0 ? batch : missing) as FeedEntry[]));
      if (missing >= 0) break;
      next += batch;
      batch = Math.min(batch * 2, READ_BATCH);
    }
    if (out.length) this.known = Math.max(this.known, Number(out[out.length - 1]!._id));
    for (const n of this.own.keys()) if (n < next) this.own.delete(n);
    return out;
  }

  private async read(seq: number): Promise<FeedEntry | null> {
    const entry = await this.deps.feed.findById(seqId(seq)).lean<FeedEntry | SingleChangeEntry>();
    if (!entry || 'changes' in entry) return entry;
    const { _id, at, ...change } = entry;
    return { _id, at, changes: [change] };
  }

  /** Entries up to this number were deleted by prune(); 0 when nothing was. */
  async prunedUpTo(): Promise<number> {
    return (await this.deps.feedMeta.findById('pruned').lean<FeedMetaDoc>())?.seq ?? 0;
  }

  /**
   * Deletes the entries older than `olderThanMs` (keeping the newest), after recording how far it
   * went, so that a reader asleep longer than that loads everything again instead of missing a change.
   * Entries are in time order, so the cut is found by bisection.
   */
  async prune(olderThanMs: number): Promise<{ deleted: number }> {
    const head = await this.head();
    const cutoff = new Date(this.deps.clock.now().getTime() - olderThanMs);
    const from = await this.prunedUpTo();
    let lo = from;
    let hi = head;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const entry = await this.read(mid);
      if (entry && entry.at < cutoff) lo = mid;
      else hi = mid;
    }
    if (lo <= from) return { deleted: 0 };
    await this.deps.feedMeta.updateOne({ _id: 'pruned' }, { $max: { seq: lo } }, { upsert: true });
    const ids = Array.from({ length: lo - from }, (_, i) => seqId(from + 1 + i));
    const { deletedCount } = await this.deps.feed.deleteMany({ _id: { $in: ids } });
    return { deleted: deletedCount };
  }

  private async exists(seq: number): Promise<boolean> {
    return (await this.deps.feed.findById(seqId(seq)).select('_id').lean()) !== null;
  }
}
