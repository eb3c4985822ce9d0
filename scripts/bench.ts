// npm run bench [-- --incidents 10000 --mixed-seconds 30 --out bench-results --server-cpu-prof dir --server-node-options="…" --server-log-level info]: measures the real app over
// real HTTP against a real store of its own, at N/10 and at N incidents, and writes Markdown and JSON.
//
// Every case is a bounded number of requests with a time cap, so the run ends by itself. Latencies are
// reported as ratios to floors measured in the same run, so results compare across machines: the HTTP
// floor is GET /healthz (express, helmet, logging, no database), the database floor a raw driver
// findOne by _id (no express, no mongoose). The data set is built through the driver (filing through
// the API would take too long): copies of incidents filed through the API, with their actions and
// audit entries, spread over ten years, severities, services and owners, plus
// people and API tokens; the server, a process of its own, is then restarted and loads it, as a deployment would.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { mongo, type Connection } from 'mongoose';
import { SYSTEM_ACTOR } from '../src/http/actor.js';
import { formatIncidentKey } from '../src/incidents/keys.js';
import { findJob } from '../src/jobs.js';
import { ManualClock, systemClock } from '../src/lib/clock.js';
import { loadConfig } from '../src/lib/config.js';
import { getOr } from '../src/lib/maps.js';
import { connectDb } from '../src/lib/db.js';
import { startEmbeddedStore, type EmbeddedStore } from '../src/lib/embedded-store.js';
import { createLogger } from '../src/lib/logger.js';
import { buildServices, syncIndexes, type Services } from '../src/services.js';
import { readModelSnapshot } from '../src/snapshots.js';
import { hashSecret } from '../src/users/secrets.js';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench-results' },
    incidents: { type: 'string', default: '10000' },
    'mixed-seconds': { type: 'string', default: '30' },
    // Writes a V8 CPU profile of each server process into this directory when it stops (node --cpu-prof).
    'server-cpu-prof': { type: 'string' },
    // More node options for the server process (e.g. "--max-semi-space-size=16"), to measure their effect.
    'server-node-options': { type: 'string', default: '' },
    // The server's LOG_LEVEL (info shows its start-up steps with their times).
    'server-log-level': { type: 'string', default: 'warn' },
    // Only the read cases whose names match this pattern, and the mixed load and jobs only when it matches "mixed" or "jobs" (to study one case).
    only: { type: 'string' },
  },
});
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = JSON.parse(readFileSync(path.join(root, 'src/demo/data/2023-02-14-decrypt-failure.json'), 'utf8')) as Record<string, unknown>;

const N = Number(args.incidents);
const only = args.only === undefined ? undefined : new RegExp(args.only);
const SMALL = Math.round(N / 10);
const MIXED_MS = Number(args['mixed-seconds']) * 1000;
const FILINGS = 100;
const IN_FLIGHT = 4;
const PEOPLE = 1000;
const TOKENS_PER_INCIDENT = 1;
const CONNECTIONS = 20;
const WARMUP = 10; // not measured (up to 1 s): lets the JIT, the driver pool and the template cache settle
const CASE_CAP_MS = 8_000; // a slow case reports fewer requests rather than running on
const SEVERITIES = ['A', 'B', 'C', 'D', 'E', 'E', 'E', 'E'];
const SERVICES = ['payments', 'ledger', 'gateway', 'settlement', 'risk'];

interface Result {
  case: string;
  count: number;
  errors: number;
  concurrency: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
  perSecond: number;
  xHttpFloor?: number;
  /** CPU milliseconds per request of the server process, the embedded store and the bench's client. */
  cpuMsPerOp?: { server: number; store: number; client: number };
}

const rank = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;

/**
 * The fixture with its local times `minutes` later, so no two filings carry the same times (nothing kept for one
 * serves the next). Wall-clock arithmetic done as if in UTC: cheap, so the client takes little of the CPU it measures.
 */
function laterBy(value: unknown, minutes: number): any {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return new Date(Date.parse(`${value}Z`) + minutes * 60_000).toISOString().slice(0, 16);
  if (Array.isArray(value)) return value.map((v) => laterBy(v, minutes));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, laterBy(v, minutes)]));
  return value;
}

/** Runs `op` `count` times with `concurrency` in flight (or until the time cap) and summarises. */
async function measure(name: string, count: number, op: (i: number) => Promise<boolean>, concurrency = 1, capMs = CASE_CAP_MS, onStart?: () => void): Promise<Result> {
  const warm = performance.now();
  for (let i = 0; i < Math.min(WARMUP, count) && concurrency === 1 && performance.now() - warm < 1000; i++) {
    if (!(await op(-1 - i))) throw new Error(`${name}: warm-up request failed`);
  }
  onStart?.();
  const times: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count && performance.now() - started < capMs) {
      const i = next++;
      const t0 = performance.now();
      const ok = await op(i).catch(() => false);
      times.push(performance.now() - t0);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  times.sort((a, b) => a - b);
  const result = { case: name, count: times.length, errors, concurrency, medianMs: rank(times, 0.5), p95Ms: rank(times, 0.95), p99Ms: rank(times, 0.99), perSecond: (times.length / elapsed) * 1000 };
  console.error(`bench: ${name}: ${result.count} in ${(elapsed / 1000).toFixed(1)} s, median ${result.medianMs.toFixed(2)} ms`);
  return result;
}

/**
 * Copies the filed incidents (with their actions and audit entries) until there are
 * `target`, varied so lists, filters and reports have something to choose from: start times over ten
 * years, severities, services, owners, titles (every tenth mentions TiDB), action due dates around today.
 */
async function growTo(services: Services, target: number, templates: Record<string, any>[], seqByYear: Map<number, number>): Promise<void> {
  const { actions, audit } = services.models;
  // FerretDB's estimated counts are not exact, so the read model counts.
  await services.mirror.sync();
  const have = services.mirror.count('incident');
  const actsOf = new Map<string, Record<string, any>[]>();
  for (const a of await actions.collection.find({}).toArray()) actsOf.set(String(a.incidentId), [...(actsOf.get(String(a.incidentId)) ?? []), a]);
  const auds = await audit.collection.find({}).toArray();
  const batch = { incidents: [] as object[], actions: [] as object[], audit: [] as object[], credentials: [] as object[] };
  const flush = async () => {
    for (const [name, docs] of Object.entries(batch)) {
      if (docs.length) await services.models[name as keyof typeof batch].collection.insertMany(docs.splice(0) as never[], { ordered: false });
    }
  };
  const today = DateTime.now().setZone('Asia/Shanghai');
  for (let n = have; n < target; n++) {
    const t = templates[n % templates.length]!;
    const started = DateTime.fromObject({ year: 2016 + (n % 11), month: 1 + (n % 12), day: 1 + (n % 28), hour: n % 24 }, { zone: 'Asia/Shanghai' });
    const year = started.year;
    const seq = (seqByYear.get(year) ?? 0) + 1;
    seqByYear.set(year, seq);
    const key = formatIncidentKey(year, seq);
    const _id = new mongo.ObjectId();
    const shift = started.toMillis() - (t.window.startedAt.at as Date).getTime();
    const moved = (i?: { at: Date; precision: string }) => i && { ...i, at: new Date(i.at.getTime() + shift) };
    const owner = `person${n % PEOPLE}@example.com`;
    batch.incidents.push({
      ...t,
      _id,
      key,
      year,
      seq,
      title: `${n % 10 === 0 ? 'TiDB sync stalled' : 'Decrypt failure'} #${n}`,
      severity: SEVERITIES[n % SEVERITIES.length],
      services: [SERVICES[n % SERVICES.length]],
      owner,
      window: Object.fromEntries(Object.entries(t.window).map(([k, v]) => [k, moved(v as never)])),
    });
    for (const a of actsOf.get(String(t._id)) ?? []) {
      const actionKey = `${key}-A${a.seq as number}`;
      batch.actions.push({
        ...a,
        _id: actionKey,
        key: actionKey,
        incidentId: _id,
        incidentKey: key,
        owner: (n + (a.seq as number)) % 5 === 0 ? undefined : `person${(n + (a.seq as number)) % PEOPLE}@example.com`,
        dueDate: today.plus({ days: (n % 90) - 45 + (a.seq as number) }).toISODate(),
        // Committed to with the copied incident's postmortem, as filing it would have recorded.
        postmortemAt: moved(t.window.resolvedAt)?.at ?? a.postmortemAt,
      });
    }
    batch.audit.push(...auds.filter((x) => x.incidentKey === t.key).map((x) => ({ ...x, _id: new mongo.ObjectId(), incidentKey: key, key: String(x.key).replace(t.key, key) })));
    for (let k = 0; k < TOKENS_PER_INCIDENT; k++) {
      batch.credentials.push({ _id: hashSecret(randomBytes(32).toString('base64url')), kind: 'api', tokenId: String(new mongo.ObjectId()), userId: new mongo.ObjectId(), name: 'bench', createdAt: new Date() });
    }
    if (batch.incidents.length >= 500) await flush();
  }
  await flush();
  await services.mirror.reload();
}

/** A free loopback port: the server is told its port, as it would be in production. */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The database `uri` names, replaced by `db`. */
const withDatabase = (uri: string, db: string) => uri.replace(/^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?[^?]*/, `$1/${db}`);

interface ServerProcess {
  base: string;
  child: ChildProcess;
  /** Seconds from spawning to answering its first list (which loads its read model). */
  startSeconds: number;
  /** Its resident memory then, in MB: the code, the read model and little else. */
  startRssMb: number;
}

/**
 * Starts the service as `npm start` does (compiled to dist/ by scripts/build.sh, not through tsx), in a
 * process of its own (so its RSS is its own and it does not share a core with the bench's client), on
 * the bench's database, with no worker.
 */
async function startServer(uri: string, token: string): Promise<ServerProcess> {
  execFileSync('bash', ['scripts/build.sh'], { cwd: root, stdio: 'inherit' });
  const port = await freePort();
  const started = performance.now();
  const profile = args['server-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['server-cpu-prof'])}`] : [];
  const options = args['server-node-options'].split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, ['--max-semi-space-size=32', ...options, ...profile, 'dist/src/main.js'], {
    cwd: root,
    env: { ...process.env, MONGODB_URI: uri, DATA_DIR: serverDataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: args['server-log-level'], SEED_DEMO: 'false', RUN_WORKER: 'false', SESSION_SECRET: randomBytes(24).toString('hex') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bench: the server exited with ${child.exitCode}`);
    const res = await fetch(`${base}/api/v1/incidents?pageSize=1`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    if (res?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { base, child, startSeconds: (performance.now() - started) / 1000, startRssMb: Math.round(rssOf(child.pid!) / 1048576) };
}

async function stopServer(server: ServerProcess | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

/** A process's CPU time (user and system) in ms, from /proc (Linux; the kernel counts in ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The server's resident memory in bytes, from /proc (Linux). */
function rssOf(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return line ? Number(line[1]) * 1024 : NaN;
}

const temp = mkdtempSync(path.join(os.tmpdir(), 'debrief-bench-'));
/** The server's DATA_DIR: where it saves its read model (src/snapshots.ts). */
const serverDataDir = path.join(temp, 'server');
const savedReadModel = path.join(serverDataDir, 'read-model.server.v8');
let store: EmbeddedStore | undefined;
let conn: Connection | undefined;
let server: ServerProcess | undefined;
let cleaned: Promise<void> | undefined;
const cleanup = () =>
  (cleaned ??= (async () => {
    await stopServer(server).catch(() => {});
    // On a shared MONGODB_URI the bench's own database is dropped; the embedded one goes with its dir.
    if (conn && !store) await conn.dropDatabase().catch(() => {});
    await conn?.close().catch(() => {});
    await store?.stop();
    rmSync(temp, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));

try {
  const external = process.env.MONGODB_URI;
  // The embedded store as configured (its binary and how it syncs); the rest as the bench needs it.
  const storeSettings = Object.fromEntries(['FERRETDB_BIN', 'EMBEDDED_STORE_SYNC'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
  const config = loadConfig({ LOG_LEVEL: 'silent', SEED_DEMO: 'false', RUN_WORKER: 'false', ...storeSettings });
  if (!external) store = await startEmbeddedStore({ dataDir: temp, sync: config.EMBEDDED_STORE_SYNC, ...(config.FERRETDB_BIN ? { binary: config.FERRETDB_BIN } : {}) });
  // A database of its own, so a shared server's data is never read or touched.
  conn = await connectDb(external ?? store!.uri, `debrief_bench_${process.pid}`);
  await conn.dropDatabase();
  const services = buildServices({ config, conn, clock: systemClock, logger: createLogger('silent') });
  await syncIndexes(services);
  await services.users.create({ email: 'bench@example.com', name: 'bench', role: 'admin' }, SYSTEM_ACTOR);
  for (let i = 0; i < PEOPLE; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, PEOPLE - i) }, (_, j) =>
        services.users.create({ email: `person${i + j}@example.com`, name: `Person ${i + j}`, role: 'editor', timezone: (i + j) % 3 ? 'Asia/Shanghai' : 'America/New_York' }, SYSTEM_ACTOR),
      ),
    );
  }
  const { token } = await services.users.issueToken('bench@example.com', 'bench', SYSTEM_ACTOR);
  const databaseUri = withDatabase(external ?? store!.uri, conn.name);
  server = await startServer(databaseUri, token);
  /**
   * Restarts the server after data was written behind its back, as a deployment's restart would load it:
   * its saved read model does not hold what the driver wrote, so it is removed, as after any bulk load.
   */
  const restart = async (fromSaved = false) => {
    await stopServer(server);
    if (!fromSaved) rmSync(savedReadModel, { force: true });
    server = await startServer(databaseUri, token);
    console.error(`bench: server started and loaded ${services.mirror.count('incident')} incidents in ${server.startSeconds.toFixed(1)} s, RSS ${server.startRssMb} MB`);
    return server;
  };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  // node:http with connections kept alive: it takes about a third of the CPU fetch took per request, and the client shares the machine it measures.
  const agent = new http.Agent({ keepAlive: true });
  const request = (method: string, url: string, body?: unknown) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(server!.base + url, { method, agent, headers: payload === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(payload) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode!, body: (res.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : text });
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  const get = async (url: string) => {
    const res = await request('GET', url);
    if (res.status !== 200 && !failures.has(url.split('?')[0]!)) {
      failures.add(url.split('?')[0]!);
      console.error(`bench: ${url} answered ${res.status}: ${String(typeof res.body === 'string' ? res.body : JSON.stringify(res.body)).slice(0, 300)}`);
    }
    return res.status === 200;
  };
  const failures = new Set<string>();
  const keys: string[] = [];
  let filings = 0;
  const file = async (i: number) => {
    // Each filing's times are its own, six hours after the one before: a run's filings spread over months
    // (hundreds in one week would make that week's report page larger than its rendering limit).
    const res = await request('POST', '/api/v1/incidents', { ...laterBy(fixture, 360 * ++filings), title: `${fixture.title as string} #${i}` });
    if (res.status === 201) keys.push(res.body.key);
    return res.status === 201;
  };

  // Where a request's time goes: CPU of the server, the store (embedded only) and this client, per measured request.
  const measureCpu = async (name: string, count: number, op: (i: number) => Promise<boolean>, concurrency = 1, capMs = CASE_CAP_MS): Promise<Result> => {
    const pids = { server: server!.child.pid!, store: store?.pid };
    const cpu = () => ({ server: cpuMsOf(pids.server), store: pids.store ? cpuMsOf(pids.store) : NaN, client: process.cpuUsage() });
    let before = cpu();
    const result = await measure(name, count, op, concurrency, capMs, () => (before = cpu()));
    const client = process.cpuUsage(before.client);
    const per = (ms: number) => ms / result.count;
    return { ...result, cpuMsPerOp: { server: per(cpuMsOf(pids.server) - before.server), store: per(pids.store ? cpuMsOf(pids.store) - before.store : NaN), client: per((client.user + client.system) / 1000) } };
  };
  const measureFilings = (name: string, concurrency: number) => measureCpu(name, FILINGS, file, concurrency);
  const floors = [await measureCpu('floor: GET /healthz', 1000, () => get('/healthz'))];
  // A filing runs more code than any read: the JIT is still compiling it after the ten warm-up requests
  // the other cases get (after 40 more, the server's CPU per filing measured 19 ms instead of 33), so a
  // round of filings goes unmeasured first, as on a server that has been running.
  for (let i = 0; i < FILINGS; i++) if (!(await file(-1))) throw new Error('warm-up filing failed');
  const filed = [await measureFilings('POST /incidents (sequential)', 1), await measureFilings(`POST /incidents (${IN_FLIGHT} in flight)`, IN_FLIGHT)];
  if (new Set(keys).size !== keys.length) throw new Error('duplicate incident keys under concurrent filing');
  const someId = (await conn.db!.collection('incidents').findOne({}, { projection: { _id: 1 } }))!._id;
  floors.push(await measure('floor: driver findOne by _id', 1000, async () => (await conn!.db!.collection('incidents').findOne({ _id: someId })) !== null));

  const templates = await services.models.incidents.collection.find({}).toArray();
  const seqByYear = new Map<number, number>([[2023, Math.max(...templates.map((d) => d.seq as number))]]);
  const pick = <T>(list: T[], i: number) => list[Math.abs(i * 7919) % list.length]!;

  /** The cases measured at each size; `sample` is a list of incident keys to read. */
  const cases = (sample: string[]): [string, number, (i: number) => Promise<boolean>][] => allCases(sample).filter(([name]) => !only || only.test(name));
  const allCases = (sample: string[]): [string, number, (i: number) => Promise<boolean>][] => [
    ['GET /api/v1/incidents/:key', 100, (i) => get(`/api/v1/incidents/${pick(sample, i)}`)],
    ['GET /api/v1/incidents/:key/document (html)', 100, (i) => get(`/api/v1/incidents/${pick(sample, i)}/document?template=postmortem&format=html`)],
    ['GET /api/v1/incidents (first page)', 100, () => get('/api/v1/incidents')],
    ['GET /api/v1/incidents?severity=A,B&service=ledger', 100, (i) => get(`/api/v1/incidents?severity=A,B&service=ledger&page=${(Math.abs(i) % 3) + 1}`)],
    ['GET /api/v1/incidents?q=TiDB', 100, (i) => get(`/api/v1/incidents?q=TiDB&page=${(Math.abs(i) % 5) + 1}`)],
    ['GET /api/v1/actions?overdue=true', 100, () => get('/api/v1/actions?overdue=true')],
    ['GET /api/v1/actions/stats', 50, () => get('/api/v1/actions/stats')],
    ['GET /api/v1/audit?incident=:key (admin)', 100, (i) => get(`/api/v1/audit?incident=${pick(sample, i)}`)],
    ['page: /incidents/:key', 100, (i) => get(`/incidents/${pick(sample, i)}`)],
    ['page: / (incident list)', 100, () => get('/')],
    ['page: /actions', 50, () => get('/actions')],
    ['page: /reports/weekly', 50, (i) => get(`/reports/weekly?week=2023-W${String((Math.abs(i) % 50) + 1).padStart(2, '0')}`)],
  ];
  const readsAt = async (size: number) => {
    const sample = (await services.incidents.list({ sort: 'key', page: 1, pageSize: 200 })).items.map((i) => i.key);
    const out: Result[] = [];
    for (const [name, count, op] of cases(sample)) out.push(await measureCpu(`[${size}] ${name}`, count, op));
    return out;
  };

  /** 90% reads, 10% writes (comments, action edits, filings), CONNECTIONS at once for MIXED_MS. */
  const mixedLoad = async (size: number) => {
    const sample = (await services.incidents.list({ sort: 'key', page: 1, pageSize: 200 })).items.map((i) => i.key);
    const reads = allCases(sample);
    let conflicts = 0;
    // Each kind's times too, to see which requests make the tail.
    const times = new Map<string, number[]>();
    const timed = async (kind: string, op: () => Promise<boolean>) => {
      const t0 = performance.now();
      try {
        return await op();
      } finally {
        getOr(times, kind, () => []).push(performance.now() - t0);
      }
    };
    const write = async (i: number) => {
      const key = pick(sample, i);
      if (i % 3 === 0) return timed('write: comment', async () => (await request('POST', `/api/v1/incidents/${key}/comments`, { anchor: { section: 'impact' }, body: `load ${i}` })).status === 201);
      if (i % 3 === 1) return timed('write: action edit (GET, then PATCH)', () => editAction(key, i));
      return timed('write: filing', () => file(i));
    };
    const editAction = async (key: string, i: number) => {
      const action = await request('GET', `/api/v1/actions/${key}-A1`);
      const res = await request('PATCH', `/api/v1/actions/${key}-A1`, { version: action.body.version, team: `team-${i % 7}` });
      if (res.status === 409) conflicts++;
      return res.status === 200 || res.status === 409;
    };
    const pid = server!.child.pid!;
    let rssPeak = rssOf(pid);
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(pid))), 250);
    const read = (i: number) => {
      const [name, , op] = pick(reads, i);
      return timed(name, () => op(i));
    };
    const result = await measureCpu(`[${size}] mixed load: ${CONNECTIONS} connections, 90% reads, ${MIXED_MS / 1000} s`, Number.MAX_SAFE_INTEGER, (i) => (i % 10 === 9 ? write(i) : read(i)), CONNECTIONS, MIXED_MS);
    clearInterval(sampler);
    const byKind = [...times].map(([kind, list]) => {
      list.sort((a, b) => a - b);
      return { kind, count: list.length, medianMs: rank(list, 0.5), p99Ms: rank(list, 0.99) };
    }).sort((a, b) => b.p99Ms - a.p99Ms);
    for (const k of byKind) console.error(`bench:   ${k.kind}: ${k.count}, median ${k.medianMs.toFixed(1)} ms, p99 ${k.p99Ms.toFixed(1)} ms`);
    return { ...result, conflicts, rssPeakMb: Math.round(rssPeak / 1048576), byKind };
  };

  const built: Record<number, number> = {};
  let t0 = performance.now();
  await growTo(services, SMALL, templates, seqByYear);
  built[SMALL] = (performance.now() - t0) / 1000;
  const serverStart: Record<number, { seconds: number; rssMb: number }> = {};
  const started = async (size: number) => {
    const { startSeconds, startRssMb } = await restart();
    serverStart[size] = { seconds: startSeconds, rssMb: startRssMb };
  };
  await started(SMALL);
  const small = await readsAt(SMALL);
  const wanted = (part: string) => !only || only.test(part);
  const mixed = wanted('mixed') ? await mixedLoad(SMALL) : undefined;
  // The mixed load filed more in 2023 (in the server's process): continue after the highest numbers taken.
  await services.mirror.sync();
  for (const d of services.mirror.all<{ year: number; seq: number }>('incident')) seqByYear.set(d.year, Math.max(seqByYear.get(d.year) ?? 0, d.seq));
  // With --only, the data grows to N only when a case or the jobs are wanted there.
  const atN = cases([]).length > 0 || wanted('jobs');
  t0 = performance.now();
  if (atN) await growTo(services, N, templates, seqByYear);
  built[N] = (performance.now() - t0) / 1000;
  if (atN) await started(N);
  const large = atN ? await readsAt(N) : [];
  const serverRssAtN = Math.round(rssOf(server.child.pid!) / 1048576);
  // Stopped (it saves its read model) and started again from what it saved, as a deployment's restart is.
  const restarted = atN ? await restart(true) : undefined;
  // The jobs run as the worker would, at 10:00 in Shanghai (02:00 UTC) tomorrow, when digests are due,
  // with its read model loaded (as a running worker has it).
  const jobClock = new ManualClock(DateTime.utc().plus({ days: 1 }).set({ hour: 2, minute: 0, second: 0, millisecond: 0 }).toJSDate());
  // A worker starting from a saved read model (the server's file is the same kind), let go before the next, as this process holds every copy.
  const workerFromSavedSeconds = await (async () => {
    const fromSaved = buildServices({ config, conn, clock: jobClock, logger: createLogger('silent') });
    fromSaved.mirror.startFrom(() => readModelSnapshot(fromSaved, savedReadModel).load());
    const savedStarted = performance.now();
    await fromSaved.mirror.sync();
    return (performance.now() - savedStarted) / 1000;
  })();
  const worker = buildServices({ config, conn, clock: jobClock, logger: createLogger('silent') });
  const loadStarted = performance.now();
  await worker.mirror.sync();
  const workerLoadSeconds = (performance.now() - loadStarted) / 1000;
  const timeJob = async (name: string) => {
    const t0 = performance.now();
    const out = await findJob(worker, name)!.run();
    const ms = performance.now() - t0;
    console.error(`bench: job ${name}: ${(ms / 1000).toFixed(1)} s ${JSON.stringify(out)}`);
    return { job: name, seconds: ms / 1000, result: out };
  };

  const jobs = wanted('jobs') ? [await timeJob('send-due-reminders'), await timeJob('send-digests')] : [];

  const httpFloor = floors[0]!.medianMs;
  for (const r of [...floors, ...filed, ...small, ...large, ...(mixed ? [mixed] : [])]) r.xHttpFloor = r.medianMs / httpFloor;
  const counts = {
    incidents: worker.mirror.count('incident'),
    actions: worker.mirror.count('action'),
    credentials: worker.mirror.count('credential'),
    people: worker.mirror.count('user'),
  };
  const meta = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, store: external ? 'MONGODB_URI' : 'embedded FerretDB 1.24 (SQLite)', ...counts, buildSeconds: built, serverStartSeconds: serverStart, serverRssMbAtN: serverRssAtN, readModelLoadSeconds: workerLoadSeconds, serverRestartFromSaved: restarted && { seconds: restarted.startSeconds, rssMb: restarted.startRssMb }, workerFromSavedSeconds };

  const f = (n: number | undefined, d = 1) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));
  const md: string[] = [];
  md.push(`${meta.date} · Node ${meta.node} · ${meta.cpus} CPUs · ${meta.store} · ${counts.incidents} incidents, ${counts.actions} actions, ${counts.credentials} credentials, ${counts.people} people`);
  md.push('', '| case | count | errors | median ms | p95 ms | × /healthz |', '| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of [...floors, ...filed]) md.push(`| ${r.case} | ${r.count} | ${r.errors} | ${f(r.medianMs, 2)} | ${f(r.p95Ms, 2)} | ${f(r.xHttpFloor)} |`);
  md.push('', `Server CPU per GET /healthz ${f(floors[0]!.cpuMsPerOp!.server, 2)} ms. CPU per filing (sequential; ${IN_FLIGHT} in flight): ${filed.map((r) => `server ${f(r.cpuMsPerOp!.server)} ms, store ${f(r.cpuMsPerOp!.store)} ms, bench client ${f(r.cpuMsPerOp!.client)} ms`).join('; ')}.`);
  md.push('', `| case | median ms at ${SMALL} | × /healthz | median ms at ${N} | × /healthz | growth ×${N / SMALL} data | server CPU ms at ${N} | errors |`, '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  large.forEach((r, i) => {
    const s = small[i]!;
    md.push(`| ${cases([])[i]![0]} | ${f(s.medianMs, 2)} | ${f(s.xHttpFloor)} | ${f(r.medianMs, 2)} | ${f(r.xHttpFloor)} | ${f(r.medianMs / s.medianMs, 2)} | ${f(r.cpuMsPerOp?.server, 1)} | ${s.errors + r.errors} |`);
  });
  if (mixed) md.push('', `Mixed load at ${SMALL} incidents (${CONNECTIONS} connections, 90% reads, ${MIXED_MS / 1000} s): ${mixed.count} requests (${f(mixed.perSecond, 0)}/s), ` +
    `p50 ${f(mixed.medianMs, 1)} ms, p99 ${f(mixed.p99Ms, 1)} ms, ${mixed.errors} errors, ${mixed.conflicts} version conflicts (409, expected), the server process's peak RSS ${mixed.rssPeakMb} MB (${serverRssAtN} MB after the reads at ${N}); CPU per request: server ${f(mixed.cpuMsPerOp!.server, 2)} ms, store ${f(mixed.cpuMsPerOp!.store, 2)} ms, bench client ${f(mixed.cpuMsPerOp!.client, 2)} ms.`);
  if (jobs.length) md.push('', `Jobs at ${N} incidents (${counts.actions} actions): ${jobs.map((j) => `${j.job} ${f(j.seconds, 1)} s (${JSON.stringify(j.result)})`).join('; ')}.`);
  if (atN) md.push('', `Data set built through the driver in ${f(built[SMALL], 0)} s (to ${SMALL}) and ${f(built[N], 0)} s (to ${N}); the server starts and loads its read model in ${f(serverStart[SMALL]!.seconds, 1)} s at ${SMALL} (RSS then ${serverStart[SMALL]!.rssMb} MB) and ${f(serverStart[N]!.seconds, 1)} s at ${N} (${serverStart[N]!.rssMb} MB); the worker loads it in ${f(workerLoadSeconds, 1)} s. Restarted from the read model it saved at stop, the server serves in ${f(restarted!.startSeconds, 1)} s at ${N} (RSS ${restarted!.startRssMb} MB), and a worker loads from that file in ${f(workerFromSavedSeconds, 1)} s.`);
  console.log(md.join('\n'));
  writeFileSync(`${args.out}.md`, md.join('\n') + '\n');
  writeFileSync(`${args.out}.json`, JSON.stringify({ ...meta, floors, filed, small, large, mixed, jobs }, null, 2) + '\n');
  console.error(`bench: wrote ${args.out}.md and ${args.out}.json`);
} finally {
  await cleanup();
}
