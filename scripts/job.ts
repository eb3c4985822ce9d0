// npm run job -- <name>: runs one job once against the configured database and prints its result,
// for operators (re-send after an outage, check what reminders would go out) and tests.
import { findJob, jobRegistry } from '../src/jobs.js';
import { systemClock } from '../src/lib/clock.js';
import { loadConfig } from '../src/lib/config.js';
import { createLogger } from '../src/lib/logger.js';
import { openStore } from '../src/runtime.js';
import { buildServices, syncIndexes } from '../src/services.js';

const name = process.argv[2];
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const store = await openStore(config, logger);
try {
  const services = buildServices({ config, conn: store.conn, clock: systemClock, logger });
  const job = name ? findJob(services, name) : undefined;
  if (!job) {
    console.error(`usage: npm run job -- <name>; jobs: ${jobRegistry(services).map((j) => j.name).join(', ')}`);
    process.exitCode = 2;
  } else {
    await syncIndexes(services);
    console.log(JSON.stringify({ job: job.name, result: await job.run() }));
  }
} finally {
  await store.close();
}
