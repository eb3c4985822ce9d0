import { Schema, type Connection, type Model } from 'mongoose';
import type { Clock } from './clock.js';
import { markWritten } from './request-scope.js';
import { Sequence, seqId } from './sequence.js';
import { deleteByIds, modelOn } from './db.js';

/**
 * The change feed: every write to mirrored collections appends one entry naming the records, so each
 * process's read model (src/lib/mirror.ts) learns what changed by reading the entries after the last
 * one it saw. Every read and write here is by `_id`, the only lookup FerretDB answers from an index.
 *
 * Entries are numbered by `_id` (a Sequence, src/lib/sequence.ts): "the next entry" is always `head + 1`.
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

/** A read model in this process: it need not look in the store for its own process's writes (Mirror). */
export interface OwnWritesWatcher {
  announced(changes: FeedChange[]): void;
  stored(entity: string, doc: { _id: unknown; version?: number }): void;
}

interface AppendOptions {
  /** The caller is about to make this write itself (not announcing another writer's claim or a removal). */
  ownWrite?: boolean;
}

/** `_id: "pruned"`: entries up to `seq` were deleted; a reader behind it must load everything again. */
interface FeedMetaDoc {
  _id: string;
  seq: number;
}

export function feedModels(conn: Connection) {
  const change = new Schema<FeedChange>({ entity: { type: String, required: true }, id: { type: String, required: true }, v: Number }, { _id: false });
  const entry = new Schema<FeedEntry>({ _id: { type: String, required: true }, changes: { type: [change], required: true }, at: { type: Date, required: true } }, { versionKey: false });
  const meta = new Schema<FeedMetaDoc>({ _id: { type: String, required: true }, seq: { type: Number, required: true } }, { versionKey: false });
  return {
    feed: modelOn<FeedEntry>(conn, 'FeedEntry', entry, 'feed'),
    feedMeta: modelOn<FeedMetaDoc>(conn, 'FeedMeta', meta, 'feedmeta'),
  };
}

export class Feed {
  private readonly entries: Sequence<FeedEntry>;
  /** This process's read models, told of its own writes (see watchOwnWrites). */
  private readonly watchers: OwnWritesWatcher[] = [];

  constructor(private readonly deps: { feed: Model<FeedEntry>; feedMeta: Model<FeedMetaDoc>; clock: Clock }) {
    this.entries = new Sequence<FeedEntry>({ model: deps.feed, floor: () => this.prunedUpTo(), upgrade: upgradeEntry, name: 'change feed' });
  }

  /**
   * Announces a write of `entity` `id` that leaves it at `version` (see FeedChange.v). Announced before
   * the write (new records) or as the revision is claimed (versioned edits), so a writer that stops
   * after writing has always announced it.
   */
  async append(entity: string, id: string, version?: number, opts: AppendOptions = {}): Promise<void> {
    return this.appendAll([{ entity, id, ...(version === undefined ? {} : { v: version }) }], opts);
  }

  /** Announces one write of several records (see append) as a single entry. */
  async appendAll(changes: FeedChange[], opts: AppendOptions = {}): Promise<void> {
    markWritten();
    if (opts.ownWrite) this.writing(changes);
    await this.entries.append((_id) => ({ _id, changes, at: this.deps.clock.now() }));
  }

  /** Tells `watcher` of this process's own writes: each announcement before it is written, and the record as stored once it is. */
  watchOwnWrites(watcher: OwnWritesWatcher): void {
    this.watchers.push(watcher);
  }

  /** This process's own announced write landed as `doc` (the record as the store has it). */
  stored(entity: string, doc: { _id: unknown; version?: number }): void {
    for (const w of this.watchers) w.stored(entity, doc);
  }

  /** This process is making these writes, already announced (a versioned edit whose revision it claimed). */
  writing(changes: FeedChange[]): void {
    for (const w of this.watchers) w.announced(changes);
  }

  /** The last entry's number. */
  head(): Promise<number> {
    return this.entries.head();
  }

  /** The entries after `seq`, in order, until the first number not taken yet (one read when there is none). */
  after(seq: number): Promise<FeedEntry[]> {
    return this.entries.after(seq);
  }

  /** The entry numbered `seq`, or null when the feed does not hold it. */
  entry(seq: number): Promise<FeedEntry | null> {
    return this.entries.read(seq);
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
      const entry = await this.entries.read(mid);
      if (entry && entry.at < cutoff) lo = mid;
      else hi = mid;
    }
    if (lo <= from) return { deleted: 0 };
    await this.deps.feedMeta.updateOne({ _id: 'pruned' }, { $max: { seq: lo } }, { upsert: true });
    const ids = Array.from({ length: lo - from }, (_, i) => seqId(from + 1 + i));
    return { deleted: await deleteByIds(this.deps.feed, ids) };
  }
}

/** An entry as written before entries could name several records, in today's shape. */
function upgradeEntry(stored: FeedEntry | SingleChangeEntry): FeedEntry {
  if ('changes' in stored) return stored;
  const { _id, at, ...change } = stored;
  return { _id, at, changes: [change] };
}
