// npm run seed: loads the demo incidents into the configured database (MONGODB_URI or the embedded
// store). Idempotent: an incident already there (same title) is skipped.
import { seedDemo } from '../src/demo/seed.js';
import { systemClock } from '../src/lib/clock.js';
import { loadConfig } from '../src/lib/config.js';
import { createLogger } from '../src/lib/logger.js';
import { openStore } from '../src/runtime.js';
import { buildServices, syncIndexes } from '../src/services.js';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const store = await openStore(config, logger);
try {
  const services = buildServices({ config, conn: store.conn, clock: systemClock, logger });
  await syncIndexes(services);
  const { created, skipped } = await seedDemo(services);
  console.log(`seed: created ${created.length} (${created.join(', ') || 'none'}), skipped ${skipped.length} already present`);
} finally {
  await store.close();
}
