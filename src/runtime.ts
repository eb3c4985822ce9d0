import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { connectDb } from './lib/db.js';
import type { Config } from './lib/config.js';
import { startEmbeddedStore } from './lib/embedded-store.js';
import type { Logger } from './lib/logger.js';

export interface Store {
  conn: Connection;
  embedded: boolean;
  close(): Promise<void>;
}

const EMBEDDED_DB = 'debrief';

/**
 * Connects to MONGODB_URI, or to the embedded FerretDB under DATA_DIR: the one a running service
 * started (so `npm run user:add` works beside `npm start`), or a new one that this process owns.
 */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.MONGODB_URI) {
    const conn = await connectDb(config.MONGODB_URI);
    logger.info({ db: conn.name }, 'connected to MONGODB_URI');
    return { conn, embedded: false, close: () => conn.close() };
  }
  const marker = path.join(config.DATA_DIR, 'store.json');
  const running = runningStore(marker);
  if (running) {
    const conn = await connectDb(running.uri, EMBEDDED_DB);
    logger.info({ uri: running.uri, pid: running.pid }, 'using the embedded store of a running service');
    return { conn, embedded: false, close: () => conn.close() };
  }
  const store = await startEmbeddedStore({ dataDir: config.DATA_DIR, ...(config.FERRETDB_BIN ? { binary: config.FERRETDB_BIN } : {}) });
  logger.info({ uri: store.uri, dataDir: config.DATA_DIR }, 'embedded FerretDB started');
  try {
    const conn = await connectDb(store.uri, EMBEDDED_DB);
    writeFileSync(marker, JSON.stringify({ uri: store.uri, pid: process.pid }));
    return {
      conn,
      embedded: true,
      close: async () => {
        rmSync(marker, { force: true });
        await conn.close();
        await store.stop();
      },
    };
  } catch (err) {
    await store.stop();
    throw err;
  }
}

/** The store a live process started under this DATA_DIR, if any (a marker left by a killed one is ignored). */
function runningStore(marker: string): { uri: string; pid: number } | undefined {
  try {
    const found = JSON.parse(readFileSync(marker, 'utf8')) as { uri: string; pid: number };
    process.kill(found.pid, 0);
    return found;
  } catch {
    return undefined;
  }
}
