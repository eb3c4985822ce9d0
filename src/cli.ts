import { systemClock } from './lib/clock.js';
import { ConfigError, loadConfig } from './lib/config.js';
import { createLogger } from './lib/logger.js';
import { openStore } from './runtime.js';
import { buildServices, syncIndexes, type Services } from './services.js';

/**
 * Runs an operator command (npm run seed, job, user:add, …) against the configured database with the
 * same services the server uses, and closes everything afterwards. Bad configuration exits 2 with one line.
 */
export async function withServices(command: (services: Services) => Promise<void>): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const store = await openStore(config, logger);
  try {
    const services = buildServices({ config, conn: store.conn, clock: systemClock, logger });
    await syncIndexes(services);
    await command(services);
  } finally {
    await store.close();
  }
}
