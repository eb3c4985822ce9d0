import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import v8 from 'node:v8';
import { mongo } from 'mongoose';
import type { Feed, FeedEntry } from './feed.js';
import type { Logger } from './logger.js';
import type { Mirror, SavedReadModel } from './mirror.js';

const { BSON } = mongo;
/** Bumped when the file's layout changes: an older file is then not read. */
const FORMAT = 2;
/** Records are written in batches of about this many bytes, framed this many at a time. */
const BATCH_BYTES = 1 << 20;
const RECORDS_PER_FRAME = 200;

interface Header {
  format: number;
  /** What the records' shape depends on (the migrations done): a file saved by another version is not read. */
  shape: string;
  /** The entities the read model kept (a version that keeps others reads every record). */
  entities: string[];
  seen: number;
  /** The feed's entry `seen` as it was: another database (or one restored from an older backup) holds another. */
  seenEntry: FeedEntry;
  pending: SavedReadModel['pending'];
  savedAt: Date;
}

/**
 * The read model saved to a file, so that a process starts from it and reads only the feed's entries
 * written since, instead of every record (a start-up that grows with history). The file is a run of
 * frames (a 4-byte length, then a value in V8's structured-clone format): the header, lists of
 * [entity, record], and an end mark with the count. V8 reads that back in about two thirds of the time
 * BSON took, into a smaller heap (docs/performance.md); the driver's own
 * values (ObjectId and the rarer BSON types) are written as a Map, which no record holds, and rebuilt
 * as the store gives them, so a record read back is what the store would give. A file that does not match
 * the database (another database, a pruned feed, another version's records) is not read: every record
 * is then loaded, as without one. Records changed behind the services' back are not in the feed, as for
 * a running process; the `repair-read-model` job finds them.
 */
export class ReadModelSnapshot {
  constructor(private readonly deps: { file: string; shape: string; mirror: Mirror; feed: Feed; logger: Logger; clock: { now(): Date } }) {}

  /**
   * Saves the read model (written aside, then renamed over the last one); undefined while it is not
   * loaded, or when it is still at the feed's entry `unlessAt` (saved then already).
   */
  async save(unlessAt?: number): Promise<{ records: number; bytes: number; seen: number } | undefined> {
    const state = this.deps.mirror.saved();
    if (state?.seen === unlessAt) return undefined;
    const seenEntry = state && state.seen > 0 ? await this.deps.feed.entry(state.seen) : null;
    if (!state || !seenEntry) return undefined;
    const { file } = this.deps;
    const tmp = `${file}.${process.pid}.tmp`;
    const out = await open(tmp, 'w', 0o600);
    let records = 0;
    let bytes = 0;
    try {
      const header: Header = { format: FORMAT, shape: this.deps.shape, entities: [...state.records.keys()], seen: state.seen, seenEntry, pending: state.pending, savedAt: this.deps.clock.now() };
      let batch: Buffer[] = [frame(header)];
      let size = batch[0]!.length;
      const flush = async () => {
        await out.write(Buffer.concat(batch, size));
        bytes += size;
        batch = [];
        size = 0;
      };
      let rows: [string, unknown][] = [];
      const addFrame = () => {
        const f = frame(rows);
        batch.push(f);
        size += f.length;
        rows = [];
      };
      for (const [entity, docs] of state.records) {
        for (const doc of docs) {
          rows.push([entity, doc]);
          records++;
          if (rows.length < RECORDS_PER_FRAME) continue;
          addFrame();
          // Awaiting each batch's write lets requests in between.
          if (size >= BATCH_BYTES) await flush();
        }
      }
      if (rows.length) addFrame();
      const end = frame({ end: records });
      batch.push(end);
      size += end.length;
      await flush();
      await out.sync();
    } catch (err) {
      await out.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await out.close();
    await rename(tmp, file);
    return { records, bytes, seen: state.seen };
  }

  /** The saved read model when the file matches this database and version; undefined (and why, logged) when not. */
  async load(): Promise<SavedReadModel | undefined> {
    const { file, logger } = this.deps;
    const started = performance.now();
    try {
      const records = new Map<string, any[]>();
      let header: Header | undefined;
      let ended = false;
      for await (const value of framesOf(file)) {
        const doc = value as Record<string, any>;
        if (!header) {
          header = doc as Header;
          const refused = await this.refusal(header);
          if (refused) {
            logger.info({ file, reason: refused }, 'read model snapshot not used: loading every record');
            return undefined;
          }
          for (const entity of header.entities) records.set(entity, []);
        } else if (!Array.isArray(doc)) {
          ended = doc.end === [...records.values()].reduce((n, list) => n + list.length, 0);
        } else {
          for (const [entity, record] of doc as [string, unknown][]) records.get(entity)!.push(record);
        }
      }
      if (!header || !ended) {
        logger.warn({ file }, 'read model snapshot incomplete: loading every record');
        return undefined;
      }
      const count = [...records.values()].reduce((n, list) => n + list.length, 0);
      logger.info({ file, records: count, savedAt: header.savedAt, ms: Math.round(performance.now() - started) }, 'read model read from its snapshot; catching up from the change feed');
      return { seen: header.seen, pending: header.pending, records };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err, file }, 'read model snapshot unreadable: loading every record');
      return undefined;
    }
  }

  /** Why a saved read model with this header cannot be used here, if it cannot. */
  private async refusal(header: Header): Promise<string | undefined> {
    if (header.format !== FORMAT) return `saved in format ${header.format}, read in ${FORMAT}`;
    if (header.shape !== this.deps.shape) return 'saved before the migrations this version ran';
    if (!this.deps.mirror.keeps(header.entities)) return `it holds ${header.entities.join(', ')}; this version keeps others`;
    const entry = await this.deps.feed.entry(header.seen);
    // Pruned (the process was stopped longer than the feed is kept), or another database's feed.
    if (!entry) return `the change feed no longer holds entry ${header.seen}`;
    if (!Buffer.from(BSON.serialize(entry)).equals(BSON.serialize(header.seenEntry))) return `the change feed's entry ${header.seen} is not the one saved (another database)`;
    return undefined;
  }
}

/** A value as one frame of the file: its length, then the value with the driver's types replaced (see storable). */
function frame(value: unknown): Buffer {
  const body = v8.serialize(storable(value));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

const OBJECT_ID = 0;
const OTHER_BSON = 1;

/**
 * A copy that structured clone keeps whole: an ObjectId becomes Map{0 → its 12 bytes}, another BSON
 * value (Binary, Decimal128, …) Map{1 → it as a BSON document}; undefined fields are left out and
 * undefined list items written as null, as BSON does. Copied, because the read model's records are
 * never changed in place. Records are what the store gives, plain objects: anything else (a Map, a
 * class) would not come back as it was, so it is refused and the file not written.
 */
function storable(value: unknown): unknown {
  if (kept(value)) return value;
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : storable(item)));
  const type = (value as { _bsontype?: string })._bsontype;
  if (type === 'ObjectId') return new Map([[OBJECT_ID, Buffer.from((value as mongo.ObjectId).id)]]);
  if (type) return new Map([[OTHER_BSON, BSON.serialize({ v: value })]]);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new Error(`read model snapshot: a record holds a ${proto?.constructor?.name ?? 'value'} it cannot keep`);
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(record)) {
    if (record[k] === undefined) continue;
    // A field named __proto__ (JSON can carry one) is set as a field, not as the copy's prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: storable(record[k]), enumerable: true, writable: true, configurable: true });
    else out[k] = storable(record[k]);
  }
  return out;
}

/** Values structured clone keeps as they are: primitives, dates, regular expressions, bytes. */
const kept = (value: unknown) => value === null || typeof value !== 'object' || value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value);

/** The value storable() copied, as the store gives it (rebuilt in place: it was just read). */
function restored(value: unknown): unknown {
  if (kept(value)) return value;
  if (value instanceof Map) {
    const [[type, bytes]] = [...value] as [[number, Uint8Array]];
    return type === OBJECT_ID ? new mongo.ObjectId(bytes) : BSON.deserialize(bytes).v;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restored(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) record[k] = restored(record[k]);
  return record;
}

/** The frames of `file` one after another, each value as saved; each frame read whole once. */
async function* framesOf(file: string): AsyncGenerator<unknown> {
  const handle = await open(file, 'r');
  try {
    const { size: total } = await handle.stat();
    const head = Buffer.alloc(4);
    for (let at = 0; at < total; ) {
      if (total - at < 4) throw new Error('the file ends inside a frame');
      await readAt(handle, head, at);
      const size = head.readUInt32LE(0);
      // A length past the end (cut short, or not this format) is refused before anything is read.
      if (size > total - at - 4) throw new Error('the file ends inside a frame');
      const body = Buffer.allocUnsafe(size);
      await readAt(handle, body, at + 4);
      yield restored(v8.deserialize(body));
      at += 4 + size;
    }
  } finally {
    await handle.close();
  }
}

/** Fills `into` from the file at `position`. */
async function readAt(handle: FileHandle, into: Buffer, position: number): Promise<void> {
  for (let got = 0; got < into.length; ) {
    const { bytesRead } = await handle.read(into, got, into.length - got, position + got);
    if (!bytesRead) throw new Error('the file ends inside a frame');
    got += bytesRead;
  }
}
