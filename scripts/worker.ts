// npm run worker: the job worker alone (no HTTP). Run several against one shared database
// (MONGODB_URI); each job is safe to run on many workers at once.
import { systemClock } from '../src/lib/clock.js';
import { loadConfig } from '../src/lib/config.js';
import { createLogger, defaultLogFormat } from '../src/lib/logger.js';
import { openStore } from '../src/runtime.js';
import { buildServices, syncIndexes } from '../src/services.js';
import { keepReadModelSaved } from '../src/snapshots.js';
import { startWorker } from '../src/worker.js';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, config.LOG_FORMAT ?? defaultLogFormat());
const store = await openStore(config, logger);
const services = buildServices({ config, conn: store.conn, clock: systemClock, logger });
await syncIndexes(services);
const saved = keepReadModelSaved(services, 'worker');
const worker = startWorker(services);
const stop = async (signal: string) => {
  logger.info({ signal }, 'worker stopping: finishing runs in flight');
  await worker.stop();
  await saved.stop();
  await store.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
