import v8 from 'node:v8';
import { createApp } from './app.js';
import { listen } from './http/server.js';
import { seedDemo } from './demo/seed.js';
import { systemClock } from './lib/clock.js';
import { ConfigError, loadConfig, loadDotEnv } from './lib/config.js';
import { createLogger, defaultLogFormat } from './lib/logger.js';
import { openStore } from './runtime.js';
import { buildServices, syncIndexes } from './services.js';
import { keepReadModelSaved } from './snapshots.js';
import { startWorker } from './worker.js';

/**
 * V8 lets the heap grow to up to four times what is live before it collects it whole; with 20 requests
 * in flight that doubled the server's memory for nothing. At 1.5× (bench, mixed load at 1,000
 * incidents) the peak RSS was 252 MB against 404 MB, at the same requests a second. A value given on
 * the command line or in NODE_OPTIONS wins.
 */
function limitHeapGrowth(): void {
  if (![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => arg.includes('heap-growing-percent'))) v8.setFlagsFromString('--heap-growing-percent=50');
}

async function main(): Promise<void> {
  limitHeapGrowth();
  let config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL, config.LOG_FORMAT ?? defaultLogFormat());
  const store = await openStore(config, logger, { server: true });
  const services = buildServices({ config, conn: store.conn, clock: systemClock, logger, storeAvailable: store.available });
  await syncIndexes(services);
  const admin = await services.users.bootstrapAdmin(config.ADMIN_EMAIL);
  if (admin) {
    // The link goes on a line of its own, outside any log record, so a person can copy it from the
    // terminal (and the secret is not kept in a log collector's records).
    logger.warn({ email: admin.email }, `No people yet: created admin ${admin.email}. Sign in once with the link on the next line (valid 24 h) and set a password`);
    process.stdout.write(`${config.BASE_URL}/login/link?token=${admin.signInToken}\n`);
  }
  if (config.ephemeralSecret) logger.warn('SESSION_SECRET is not set: browser sessions end when this process stops');
  if (config.SEED_DEMO && store.embedded && (await services.models.incidents.estimatedDocumentCount()) === 0) {
    const { created } = await seedDemo(services);
    logger.info({ created }, 'empty database: demo incidents loaded (SEED_DEMO=false turns this off)');
  }

  // Started from the read model saved at the last stop, when it matches the database (src/snapshots.ts).
  const saved = keepReadModelSaved(services, 'server');
  const http = await listen(createApp(services), config.PORT, config.HOST);
  const { port } = http;
  // The read model loads while the server already answers /healthz; /readyz says ready once it holds every record.
  void services.mirror.sync().catch((err: unknown) => logger.warn({ err }, 'read model did not load; the next request tries again'));
  logger.info({ port, url: config.BASE_URL }, `Debrief listening on http://${config.HOST}:${port}`);
  // One machine, one command: the job worker runs beside the server unless RUN_WORKER=false.
  const worker = config.RUN_WORKER ? startWorker(services) : undefined;

  // SIGTERM/SIGINT: stop accepting, drain requests for up to SHUTDOWN_TIMEOUT_MS (then cut them), let
  // the worker finish its runs, save the read model, and stop the embedded store last. Should any step hang, the store is
  // still stopped before the process exits.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; stopping the store and exiting');
      void store.close().finally(() => process.exit(1));
    }, config.SHUTDOWN_TIMEOUT_MS + 2_000);
    force.unref();
    await http.close(config.SHUTDOWN_TIMEOUT_MS);
    await worker?.stop();
    await saved.stop();
    await store.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
