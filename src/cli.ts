import { systemClock } from './lib/clock.js';
import { ConfigError, loadConfig, loadDotEnv } from './lib/config.js';
import { DomainError } from './lib/errors.js';
import { createLogger, defaultLogFormat } from './lib/logger.js';
import { openStore } from './runtime.js';
import { buildServices, syncIndexes, type Services } from './services.js';

/**
 * Runs an operator command (npm run seed, job, user:add, …) against the configured database with the
 * same services the server uses, and closes everything afterwards. Bad configuration exits 2 with one line.
 */
export async function withServices(command: (services: Services) => Promise<void>): Promise<void> {
  let config;
  try {
    // The same settings as `npm start`, which reads .env too: above all the same DATA_DIR, whose
    // store.json leads to the running service's store.
    loadDotEnv();
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, config.LOG_FORMAT ?? defaultLogFormat());
  const store = await openStore(config, logger);
  try {
    const services = buildServices({ config, conn: store.conn, clock: systemClock, logger });
    await syncIndexes(services);
    await command(services);
  } catch (err) {
    // A refusal (unknown person, bad value) is the operator's to fix: one line, no stack trace.
    if (!(err instanceof DomainError)) throw err;
    console.error(`${err.message}${err.fields.length ? `: ${err.fields.map((f) => `${f.field} ${f.message}`).join('; ')}` : ''}`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}
