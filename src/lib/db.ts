import mongoose, { type ConnectOptions, type Connection } from 'mongoose';

/** Opens a connection of our own (never mongoose's global one) to `dbName` on the server at `uri`. */
export async function connectDb(uri: string, dbName?: string, options: ConnectOptions = {}): Promise<Connection> {
  const conn = mongoose.createConnection(uri, {
    ...options,
    ...(dbName ? { dbName } : {}),
    serverSelectionTimeoutMS: 10_000,
    // Indexes are created explicitly by syncIndexes() at start-up so that errors surface there.
    autoIndex: false,
    autoCreate: true,
  });
  await conn.asPromise();
  return conn;
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
