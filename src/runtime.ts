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

/** Connects to MONGODB_URI, or starts the embedded FerretDB under DATA_DIR and connects to it. */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.MONGODB_URI) {
    const conn = await connectDb(config.MONGODB_URI);
    logger.info({ db: conn.name }, 'connected to MONGODB_URI');
    return { conn, embedded: false, close: () => conn.close() };
  }
  const store = await startEmbeddedStore({ dataDir: config.DATA_DIR, ...(config.FERRETDB_BIN ? { binary: config.FERRETDB_BIN } : {}) });
  logger.info({ uri: store.uri, dataDir: config.DATA_DIR }, 'embedded FerretDB started');
  try {
    const conn = await connectDb(store.uri, 'debrief');
    return {
      conn,
      embedded: true,
      close: async () => {
        await conn.close();
        await store.stop();
      },
    };
  } catch (err) {
    await store.stop();
    throw err;
  }
}
