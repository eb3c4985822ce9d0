import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { connectDb, watchConnection } from './lib/db.js';
import type { Config } from './lib/config.js';
import { alive, startEmbeddedStore, stopStrayStore, type EmbeddedStore } from './lib/embedded-store.js';
import type { Logger } from './lib/logger.js';

export interface Store {
  conn: Connection;
  embedded: boolean;
  /** False at once while the database is known to be down (the embedded store died, or the driver lost the server). */
  available(): boolean;
  /** Closes the connection and, when this process owns the embedded store, stops it (always last). */
  close(): Promise<void>;
}

const EMBEDDED_DB = 'debrief';
/** Restarts of a dead embedded store wait 1 s, 2 s, 4 s, then this between tries (a crash loop does not spin). */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 8_000;

/** DATA_DIR/store.json: which server owns the embedded store on these files, its URI and the store's pid. */
interface Marker {
  pid: number;
  uri?: string;
  storePid?: number;
}

/**
 * Connects to MONGODB_URI, or to the embedded FerretDB under DATA_DIR: the one a running service
 * started (so `npm run user:add` works beside `npm start`; a second server is refused instead), or a
 * new one that this process owns and supervises. A store left running by a killed server is stopped first, so two never share the files.
 */
export async function openStore(config: Config, logger: Logger, opts: { server?: boolean } = {}): Promise<Store> {
  if (config.MONGODB_URI) {
    const conn = await connectDb(config.MONGODB_URI);
    logger.info({ db: conn.name }, 'connected to MONGODB_URI');
    return { conn, embedded: false, available: watchConnection(conn), close: () => conn.close() };
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  const marker = path.join(config.DATA_DIR, 'store.json');
  const running = await claimStore(marker, config.DATA_DIR, logger);
  if (running && opts.server) {
    throw new Error(`Another Debrief process (pid ${running.pid}) runs the embedded store in ${config.DATA_DIR}; stop it, or give this one another DATA_DIR`);
  }
  if (running) {
    const conn = await connectDb(running.uri, EMBEDDED_DB).catch((err: Error) => {
      throw new Error(
        `The embedded store of the running service (pid ${running.pid}, ${running.uri}) does not answer: ${err.message}. If no Debrief runs on ${config.DATA_DIR}, remove ${marker}`,
      );
    });
    logger.info({ uri: running.uri, pid: running.pid }, 'using the embedded store of a running service');
    return { conn, embedded: false, available: watchConnection(conn), close: () => conn.close() };
  }
  try {
    return await ownStore(config, logger, marker);
  } catch (err) {
    rmSync(marker, { force: true });
    throw err;
  }
}

async function ownStore(config: Config, logger: Logger, marker: string): Promise<Store> {
  const options = { dataDir: config.DATA_DIR, sync: config.EMBEDDED_STORE_SYNC, ...(config.FERRETDB_BIN ? { binary: config.FERRETDB_BIN } : {}) };
  let store = await startEmbeddedStore(options);
  logger.info({ uri: store.uri, dataDir: config.DATA_DIR }, 'embedded FerretDB started');
  const port = Number(new URL(store.uri).port);
  writeMarker(marker, { pid: process.pid, uri: store.uri, storePid: store.pid });
  // Whatever ends this process, the store does not outlive it (a SIGKILL is handled by the next start).
  const killOnExit = () => alive(store.pid) && process.kill(store.pid, 'SIGKILL');
  process.on('exit', killOnExit);

  let up = true;
  let stopping = false;
  let restarting: Promise<void> | undefined;
  const supervise = (current: EmbeddedStore) => {
    void current.exited.then(({ code, signal }) => {
      if (stopping || current !== store) return;
      up = false;
      logger.error({ code, signal, pid: current.pid }, 'embedded store stopped unexpectedly; answering 503 and restarting it');
      restarting = restart().finally(() => (restarting = undefined));
    });
  };
  // Same port, so the driver's connection finds it again without rebuilding the services.
  const restart = async () => {
    for (let attempt = 0; !stopping; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(FIRST_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS)));
      if (stopping) return;
      try {
        const next = await startEmbeddedStore({ ...options, port });
        store = next;
        if (stopping) return;
        writeMarker(marker, { pid: process.pid, uri: next.uri, storePid: next.pid });
        supervise(next);
        up = true;
        logger.warn({ pid: next.pid, attempt: attempt + 1 }, 'embedded store restarted');
        return;
      } catch (err) {
        logger.error({ err, attempt: attempt + 1 }, 'embedded store did not restart; trying again');
      }
    }
  };
  supervise(store);

  try {
    const conn = await connectDb(store.uri, EMBEDDED_DB);
    const connected = watchConnection(conn);
    return {
      conn,
      embedded: true,
      available: () => up && connected(),
      close: async () => {
        stopping = true;
        await restarting;
        await conn.close().catch(() => undefined);
        await store.stop();
        process.off('exit', killOnExit);
        rmSync(marker, { force: true });
      },
    };
  } catch (err) {
    stopping = true;
    await store.stop();
    throw err;
  }
}

/**
 * Takes DATA_DIR's store for this process (resolves undefined), or finds the store a live server runs
 * there (resolves its URI). A marker whose server is gone is cleared, stopping the store it left.
 */
async function claimStore(marker: string, dataDir: string, logger: Logger): Promise<{ uri: string; pid: number } | undefined> {
  const giveUpAt = Date.now() + 30_000;
  for (;;) {
    if (createMarker(marker, { pid: process.pid })) return undefined;
    const found = readMarker(marker);
    if (found && alive(found.pid)) {
      if (found.uri) return { uri: found.uri, pid: found.pid };
      if (Date.now() > giveUpAt) throw new Error(`Debrief (pid ${found.pid}) has been starting the embedded store in ${dataDir} for 30 s; wait for it or stop it`);
    } else if (found) {
      if (found.storePid && (await stopStrayStore(found.storePid, dataDir))) {
        logger.warn({ pid: found.storePid, server: found.pid }, 'stopped the embedded store a killed server left running on these files');
      }
      rmSync(marker, { force: true });
      continue;
    }
    // Being written by a process that is starting (or unreadable): look again shortly.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates the marker only if there is none (hard-linking a complete file, so no reader sees it half written). */
function createMarker(marker: string, content: Marker): boolean {
  const temp = `${marker}.${process.pid}`;
  writeFileSync(temp, JSON.stringify(content));
  try {
    linkSync(temp, marker);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    rmSync(temp, { force: true });
  }
}

function writeMarker(marker: string, content: Marker): void {
  const temp = `${marker}.${process.pid}`;
  writeFileSync(temp, JSON.stringify(content));
  renameSync(temp, marker);
}

function readMarker(marker: string): Marker | undefined {
  try {
    return JSON.parse(readFileSync(marker, 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}
