// npm run job -- <name>: runs one job once against the configured database and prints its result,
// for operators (re-send after an outage, check what reminders would go out) and tests.
import { withServices } from '../src/cli.js';
import { findJob, jobRegistry } from '../src/jobs.js';

const name = process.argv[2];
await withServices(async (services) => {
  const job = name ? findJob(services, name) : undefined;
  if (!job) {
    console.error(`usage: npm run job -- <name>; jobs: ${jobRegistry(services).map((j) => j.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  console.log(JSON.stringify({ job: job.name, result: await job.run() }));
});
