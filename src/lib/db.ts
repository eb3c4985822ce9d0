import mongoose, { type ConnectOptions, type Connection, type Model, type Schema } from 'mongoose';

/**
 * How long an operation waits for a server that is gone before failing (answered 503), and how often
 * the driver checks on it: short, so a dead database shows within a second or two, not after 30 s.
 */
const SERVER_SELECTION_MS = 1_500;
const HEARTBEAT_MS = 1_000;
/** At start-up the database may still be coming up (a container beside us): keep trying this long. */
const STARTUP_WAIT_MS = 20_000;

/** Opens a connection of our own (never mongoose's global one) to `dbName` on the server at `uri`. */
export async function connectDb(uri: string, dbName?: string, options: ConnectOptions = {}): Promise<Connection> {
  const giveUpAt = Date.now() + STARTUP_WAIT_MS;
  for (;;) {
    try {
      return await openConnection(uri, dbName, options);
    } catch (err) {
      if (Date.now() > giveUpAt || !isUnavailable(err)) throw err;
    }
  }
}

async function openConnection(uri: string, dbName: string | undefined, options: ConnectOptions): Promise<Connection> {
  const conn = mongoose.createConnection(uri, {
    ...options,
    ...(dbName ? { dbName } : {}),
    serverSelectionTimeoutMS: SERVER_SELECTION_MS,
    heartbeatFrequencyMS: HEARTBEAT_MS,
    // Straight to the driver (which waits SERVER_SELECTION_MS), not mongoose's 10 s queue while disconnected.
    bufferCommands: false,
    // Indexes are created explicitly by syncIndexes() at start-up so that errors surface there.
    autoIndex: false,
    autoCreate: true,
  });
  try {
    await conn.asPromise();
  } catch (err) {
    await conn.close().catch(() => undefined);
    throw err;
  }
  return conn;
}

/** A function telling whether the driver currently has the server (mongoose's connection events). */
export function watchConnection(conn: Connection): () => boolean {
  let connected = conn.readyState === 1;
  conn.on('connected', () => (connected = true));
  conn.on('reconnected', () => (connected = true));
  conn.on('disconnected', () => (connected = false));
  return () => connected;
}

/** True for the driver's and mongoose's "no server to talk to" errors (answered 503, never 500). */
export function isUnavailable(err: unknown): boolean {
  // The driver lets a socket error through unwrapped when the server dies mid-write (EPIPE).
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && ['EPIPE', 'ECONNRESET', 'ECONNREFUSED'].includes(code)) return true;
  const name = (err as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string') return false;
  // PoolCleared: an operation in flight when the pool was reset because the server went away.
  if (/^Mongo(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed|PoolClosed|PoolCleared|ServerClosed)Error$/.test(name)) return true;
  return name === 'MongooseError' && /buffering timed out/.test(String((err as Error).message));
}

export async function pingDb(conn: Connection): Promise<boolean> {
  try {
    await conn.db!.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/**
 * Inserts records the app builds whole itself (a new incident and its actions, a comment, a person, a
 * feed or audit entry) through the driver, in one command, and returns them as
 * stored: undefined fields left out, and empty objects where the model minimizes (as mongoose would
 * store them). Mongoose's document layer (casting, defaults, validators) costs more than the insert
 * and has nothing to add: the API schemas and the services' rules check the input, the services set
 * every field, and test/lib/db.test.ts checks that what they store passes each model's validation and
 * is what a mongoose document would have stored. A taken _id throws as the model's would.
 */
export async function insertPlain<T extends object>(model: Model<any>, ...docs: T[]): Promise<T[]> {
  const stored = storedForms(model, docs);
  if (stored.length === 1) await model.collection.insertOne(stored[0]!);
  else if (stored.length) await model.collection.insertMany(stored, { ordered: true });
  return stored;
}

/** The records as `model` stores them (see storedForm). */
function storedForms<T>(model: Model<any>, docs: T[]): T[] {
  const minimize = model.schema.get('minimize') !== false;
  return docs.map((doc) => storedForm(doc, minimize));
}

/** `value` without undefined fields (and empty objects, with `minimize`), at any depth; dates, ids and other class instances as they are. */
function storedForm<T>(value: T, minimize: boolean): T {
  if (Array.isArray(value)) return value.map((item) => storedForm(item, minimize)) as T;
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const kept = storedForm(field, minimize);
    if (kept === undefined || (minimize && isPlainObject(kept) && Object.keys(kept).length === 0)) continue;
    out[key] = kept;
  }
  return out as T;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

/**
 * Inserts many documents in one command (unordered: one refused does not stop the rest), skipping those
 * whose unique key is taken: which were written (true) and which were already there (false). Stored as
 * insertPlain stores them. Any other error is thrown.
 */
export async function insertNew(model: Model<any>, docs: object[]): Promise<boolean[]> {
  const written = docs.map(() => true);
  if (!docs.length) return written;
  const stored = storedForms(model, docs);
  try {
    // One record through insertOne: the driver's insertMany goes through its bulk-write machinery, which costs more.
    if (stored.length === 1) await model.collection.insertOne(stored[0]!);
    else await model.collection.insertMany(stored as never[], { ordered: false });
  } catch (err) {
    if (stored.length === 1 && isDuplicateKey(err)) return [false];
    const found = (err as { writeErrors?: { index: number; code?: number }[] | { index: number; code?: number } }).writeErrors;
    const errors = Array.isArray(found) ? found : found ? [found] : [];
    if (!errors.length || errors.some((e) => e.code !== 11000)) throw err;
    for (const e of errors) written[e.index] = false;
  }
  return written;
}

/** The connection's model of that name, compiled on first use (building services twice on one connection reuses it). */
export function modelOn<T>(conn: Connection, name: string, schema: Schema<T>, collection?: string): Model<T> {
  return (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema, collection);
}

/**
 * How many `_id` values one command lists. The embedded store reads only those rows by its `_id` index
 * (scripts/ferretdb/sqlite-id-list.patch) and then checks each against the whole list, so a list of
 * thousands costs its square; MongoDB and FerretDB on PostgreSQL take any length.
 */
const IDS_PER_COMMAND = 500;

/** The records with these `_id` values (any missing are left out), a command per IDS_PER_COMMAND. */
export async function findByIds<T>(model: Model<any>, ids: unknown[], fields?: string): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) {
    const query = model.find({ _id: { $in: ids.slice(i, i + IDS_PER_COMMAND) } });
    out.push(...((await (fields ? query.select(fields) : query).lean()) as T[]));
  }
  return out;
}

/** Deletes the records with these `_id` values, a command per IDS_PER_COMMAND; returns how many went. */
export async function deleteByIds(model: Model<any>, ids: unknown[]): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) deleted += (await model.deleteMany({ _id: { $in: ids.slice(i, i + IDS_PER_COMMAND) } })).deletedCount;
  return deleted;
}
