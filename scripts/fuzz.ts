// npm run fuzz: schemathesis against a throw-away Debrief (its own embedded store in a temporary
// DATA_DIR, the demo incidents, an admin token), from the OpenAPI document the service publishes.
// Checks: no 5xx, and every response matches its documented status, content type, headers and schema.
// FUZZ_EXAMPLES (default 20) bounds the examples per operation; FUZZ_MAX_TIME (seconds) the whole run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { seedDemo } from '../src/demo/seed.js';
import { SYSTEM_ACTOR } from '../src/http/actor.js';
import { listen } from '../src/http/server.js';
import { systemClock } from '../src/lib/clock.js';
import { loadConfig } from '../src/lib/config.js';
import { createLogger } from '../src/lib/logger.js';
import { openStore } from '../src/runtime.js';
import { buildServices, syncIndexes } from '../src/services.js';

const [schemathesis = '', ...extra] = process.argv.slice(2);
const dataDir = mkdtempSync(path.join(tmpdir(), 'debrief-fuzz-'));
const { MONGODB_URI: _external, ...env } = process.env;
// A channel key so channels can be stored; no worker, so nothing is ever posted.
const config = loadConfig({ ...env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', SEED_DEMO: 'true', RUN_WORKER: 'false', PORT: '0', CHANNEL_SECRET_KEY: randomBytes(32).toString('hex') });
const logger = createLogger('silent');
const store = await openStore(config, logger);
let code = 1;
try {
  const services = buildServices({ config, conn: store.conn, clock: systemClock, logger, storeAvailable: store.available });
  await syncIndexes(services);
  await seedDemo(services);
  // Not the demo's admin address, so a generated PATCH /users/{user} cannot lock the run out.
  await services.users.create({ email: 'fuzz@example.com', name: 'Fuzz', role: 'admin' }, SYSTEM_ACTOR);
  await services.users.create({ email: 'other@example.com', name: 'Other', role: 'viewer' }, SYSTEM_ACTOR);
  const { token } = await services.users.issueToken('fuzz@example.com', 'fuzz', SYSTEM_ACTOR);
  // Records for the catalog and channel routes' path values (see fuzzConfig).
  await services.catalog.create({ name: 'statement-billing', ownerTeam: 'payments', system: '支付系统' }, SYSTEM_ACTOR);
  const channel = await services.channels.create(
    { name: 'fuzz', kind: 'webhook', url: 'http://127.0.0.1:9/hook', secret: `whsec_${randomBytes(24).toString('base64')}`, events: ['incident.filed'], route: { services: [], teams: [], severities: [] }, disabled: false },
    SYSTEM_ACTOR,
  );
  const configFile = path.join(dataDir, 'schemathesis.toml');
  writeFileSync(configFile, fuzzConfig(channel.id));
  const http = await listen(createApp(services), 0, '127.0.0.1');
  const base = `http://127.0.0.1:${http.port}`;
  const args = [
    '--config-file',
    configFile,
    'run',
    `${base}/api/v1/openapi.json`,
    '--url',
    base,
    '--header',
    `Authorization: Bearer ${token}`,
    '--checks',
    'not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance',
    '--max-examples',
    process.env.FUZZ_EXAMPLES ?? '20',
    '--phases',
    'examples,coverage,fuzzing',
    // One worker: schemathesis's coverage phase crashed in CPython 3.11's ast module when threads raced.
    '--workers',
    '1',
    '--seed',
    process.env.FUZZ_SEED ?? '1',
    '--suppress-health-check',
    'all',
    ...(process.env.FUZZ_MAX_TIME ? ['--max-time', process.env.FUZZ_MAX_TIME] : []),
    ...extra,
  ];
  const child = spawn(schemathesis, args, { stdio: 'inherit', env: { ...process.env, SCHEMATHESIS_HOOKS: '' } });
  code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  await http.close(2_000);
} finally {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);

/**
 * Path values that reach real records (the demo incidents and their actions), so bodies are tried
 * against them; and the people and token routes pointed at another person, since schemathesis feeds
 * values it saw (GET /me, GET /me/tokens) into later requests and would revoke or demote the run's own
 * admin. Malformed path values are the mocha fuzz test's part (test/http/fuzz.test.ts).
 */
function fuzzConfig(channel: string): string {
  const block = (names: string[], params: Record<string, string>) =>
    `[[operations]]\ninclude-name = [${names.map((n) => JSON.stringify(n)).join(', ')}]\nparameters = { ${Object.entries(params).map(([k, v]) => `"path.${k}" = ${JSON.stringify(v)}`).join(', ')} }\n`;
  return [
    block(['GET /api/v1/actions/{key}', 'PATCH /api/v1/actions/{key}', 'POST /api/v1/actions/{key}/transitions', 'GET /api/v1/actions/{key}/history', 'POST /api/v1/actions/{key}/snooze'], { key: 'INC-2023-0002-A1' }),
    block(['POST /api/v1/incidents/{key}/review/request', 'POST /api/v1/incidents/{key}/review/decisions', 'POST /api/v1/incidents/{key}/review/publish', 'GET /api/v1/incidents/{key}/revisions/{a}/diff/{b}'], { key: 'INC-2023-0001' }),
    block(['DELETE /api/v1/me/tokens/{id}'], { id: '000000000000000000000000' }),
    block(['GET /api/v1/services/{name}', 'PATCH /api/v1/services/{name}', 'DELETE /api/v1/services/{name}'], { name: 'statement-billing' }),
    block(['GET /api/v1/channels/{id}', 'PATCH /api/v1/channels/{id}', 'DELETE /api/v1/channels/{id}', 'POST /api/v1/channels/{id}/test'], { id: channel }),
    block(['GET /api/v1/users/{user}', 'PATCH /api/v1/users/{user}', 'POST /api/v1/users/{user}/tokens', 'DELETE /api/v1/users/{user}/tokens/{id}'], { user: 'other@example.com' }),
  ].join('\n');
}
