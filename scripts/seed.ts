// npm run seed: loads the demo incidents into the configured database (MONGODB_URI or the embedded
// store). Idempotent: an incident already there (same title) is skipped.
import { withServices } from '../src/cli.js';
import { seedDemo } from '../src/demo/seed.js';

await withServices(async (services) => {
  const { created, skipped } = await seedDemo(services);
  console.log(`seed: created ${created.length} (${created.join(', ') || 'none'}), skipped ${skipped.length} already present`);
});
