// A process that files incidents through the incidents service as fast as it can, 4 at a time, and prints
// "filed <key>" once each filing is acknowledged (the service call returned). The durability tests kill it,
// or its store, with SIGKILL while it writes. Usage: tsx test/support/writer.ts <mongodb uri> <database>
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { createIncidentBody } from '../../src/incidents/schemas.js';
import { systemClock } from '../../src/lib/clock.js';
import { loadConfig } from '../../src/lib/config.js';
import { connectDb } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildServices, syncIndexes } from '../../src/services.js';
import { fixture } from './fixtures.js';

const [uri, dbName] = process.argv.slice(2) as [string, string];
const conn = await connectDb(uri, dbName, { serverSelectionTimeoutMS: 2000 });
const services = buildServices({ config: loadConfig({ LOG_LEVEL: 'silent', SEED_DEMO: 'false' }), conn, clock: systemClock, logger: createLogger('silent') });
// As every process does at start-up: the unique keys (an incident's among them) carry correctness.
await syncIndexes(services);
const input = createIncidentBody.parse(fixture('decrypt-failure'));
let n = 0;
const fileForever = async () => {
  for (;;) {
    const { key } = await services.incidents.create({ ...input, title: `durable ${n++}` }, SYSTEM_ACTOR);
    process.stdout.write(`filed ${key}\n`);
  }
};
await Promise.all([fileForever(), fileForever(), fileForever(), fileForever()]).catch((err) => {
  process.stderr.write(`writer stopped: ${(err as Error).message}\n`);
  process.exit(1);
});
