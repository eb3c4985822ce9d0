// npm run bench [-- --out results.json]: measures the real app over real HTTP against a real store.
// Every case is a bounded number of requests (and a time cap), so the run ends by itself. Latencies
// are also reported as ratios to a floor measured in the same run, so numbers from different
// machines can be compared: the HTTP floor is GET /healthz (express, helmet, logging, no database),
// the database floor a raw driver findOne by _id (no express, no mongoose).
// Filing through the API is too slow on the embedded store to build a large data set within the run,
// so the reads run twice: over the incidents filed by the API, then after cloning those records
// (incidents, actions, revisions, audit entries, with new ids and keys) up to --incidents through the driver.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mongo, type Connection } from 'mongoose';
import { createApp } from '../src/app.js';
import { SYSTEM_ACTOR } from '../src/http/actor.js';
import { listen, type RunningServer } from '../src/http/server.js';
import { systemClock } from '../src/lib/clock.js';
import { loadConfig } from '../src/lib/config.js';
import { connectDb } from '../src/lib/db.js';
import { startEmbeddedStore, type EmbeddedStore } from '../src/lib/embedded-store.js';
import { createLogger } from '../src/lib/logger.js';
import { revisionId } from '../src/lib/revisions.js';
import { formatIncidentKey } from '../src/incidents/keys.js';
import { buildServices, syncIndexes, type Services } from '../src/services.js';

const { values: args } = parseArgs({ options: { out: { type: 'string' }, incidents: { type: 'string', default: '1000' } } });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = JSON.parse(readFileSync(path.join(root, 'src/demo/data/2023-02-14-decrypt-failure.json'), 'utf8')) as Record<string, unknown>;

const SEQUENTIAL_FILINGS = 60;
const CONCURRENT_FILINGS = 40;
const IN_FLIGHT = 8;
const LARGE = Number(args.incidents);
const WARMUP = 10; // not measured (up to 1 s): lets the JIT, the driver pool and the template cache settle
const CASE_CAP_MS = 8_000; // a slow case reports fewer requests rather than running on

interface Result {
  case: string;
  count: number;
  errors: number;
  concurrency: number;
  medianMs: number;
  p95Ms: number;
  perSecond: number;
  xHttpFloor?: number;
  xDbFloor?: number;
}

/** Runs `op` `count` times with `concurrency` in flight (or until the time cap) and summarises. */
async function measure(name: string, count: number, op: (i: number) => Promise<boolean>, concurrency = 1): Promise<Result> {
  const warm = performance.now();
  for (let i = 0; i < Math.min(WARMUP, count) && concurrency === 1 && performance.now() - warm < 1000; i++) {
    if (!(await op(-1 - i))) throw new Error(`${name}: warm-up request failed`);
  }
  const times: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count && performance.now() - started < CASE_CAP_MS) {
      const i = next++;
      const t0 = performance.now();
      const ok = await op(i);
      times.push(performance.now() - t0);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  times.sort((a, b) => a - b);
  // Nearest rank: the p95 is a latency some request actually had.
  const rank = (p: number) => times[Math.max(0, Math.ceil(p * times.length) - 1)] ?? NaN;
  const result = { case: name, count: times.length, errors, concurrency, medianMs: rank(0.5), p95Ms: rank(0.95), perSecond: (times.length / elapsed) * 1000 };
  console.error(`bench: ${name}: ${result.count} in ${(elapsed / 1000).toFixed(1)} s`);
  return result;
}

/**
 * Copies the filed incidents, with everything that points at them (keys, actions, revisions, audit
 * entries), until there are `target`, so every collection a read touches grows with the incidents.
 */
async function cloneTo(services: Services, target: number): Promise<void> {
  const { incidents, actions, revisions, audit } = services.models;
  const all = async (c: { collection: mongo.Collection }) => (await c.collection.find({}).toArray()) as Record<string, any>[];
  const [incs, acts, revs, auds] = await Promise.all([all(incidents), all(actions), all(revisions), all(audit)]);
  const isId = (v: unknown): v is mongo.ObjectId => typeof v === 'object' && v !== null && (v as { _bsontype?: string })._bsontype === 'ObjectId';
  let seq = Math.max(...incs.map((d) => d.seq as number));
  const out = { incidents: [] as object[], incidentKeys: [] as object[], actions: [] as object[], revisions: [] as object[], audit: [] as object[] };
  for (let n = 0; incs.length + n < target; n++) {
    const t = incs[n % incs.length]!;
    const oldKey = t.key as string;
    const newKey = formatIncidentKey(t.year as number, ++seq);
    const own = acts.filter((a) => String(a.incidentId) === String(t._id));
    const ids = new Map([t, ...own].map((d) => [String(d._id), new mongo.ObjectId()]));
    const remap = (v: unknown): unknown => {
      if (isId(v)) return ids.get(String(v)) ?? v;
      if (typeof v === 'string') return v === oldKey || v.startsWith(`${oldKey}-`) ? newKey + v.slice(oldKey.length) : v;
      if (Array.isArray(v)) return v.map(remap);
      if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, remap(x)]));
      return v;
    };
    const copy = (d: Record<string, any>) => ({ ...(remap(d) as object), _id: ids.get(String(d._id)) ?? new mongo.ObjectId() });
    const incident = { ...copy(t), seq, title: `${t.title as string} (clone ${n})` };
    out.incidents.push(incident);
    out.incidentKeys.push({ _id: newKey, incidentId: incident._id });
    out.actions.push(...own.map(copy));
    // Revisions are keyed by entity, id and version, as the service writes them.
    out.revisions.push(
      ...revs
        .filter((r) => ids.has(String(r.entityId)))
        .map((r) => ({ ...(remap(r) as object), _id: revisionId(r.entity as string, ids.get(String(r.entityId))!, r.version as number) })),
    );
    out.audit.push(...auds.filter((a) => a.incidentKey === oldKey).map(copy));
  }
  for (const [name, docs] of Object.entries(out)) {
    if (docs.length) await services.models[name as keyof typeof out].collection.insertMany(docs as never[], { ordered: false });
  }
}

const temp = mkdtempSync(path.join(os.tmpdir(), 'debrief-bench-'));
let store: EmbeddedStore | undefined;
let conn: Connection | undefined;
let http: RunningServer | undefined;
let cleaned: Promise<void> | undefined;
const cleanup = () =>
  (cleaned ??= (async () => {
    await http?.close().catch(() => {});
    // On a shared MONGODB_URI the bench's own database is dropped; the embedded one goes with its dir.
    if (conn && !store) await conn.dropDatabase().catch(() => {});
    await conn?.close().catch(() => {});
    await store?.stop();
    rmSync(temp, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));

try {
  const external = process.env.MONGODB_URI;
  const config = loadConfig({ LOG_LEVEL: 'silent', SEED_DEMO: 'false', RUN_WORKER: 'false', ...(process.env.FERRETDB_BIN ? { FERRETDB_BIN: process.env.FERRETDB_BIN } : {}) });
  if (!external) store = await startEmbeddedStore({ dataDir: temp, ...(config.FERRETDB_BIN ? { binary: config.FERRETDB_BIN } : {}) });
  // A database of its own, so a shared server's data is never read or touched.
  conn = await connectDb(external ?? store!.uri, `debrief_bench_${process.pid}`);
  await conn.dropDatabase();
  const services = buildServices({ config, conn, clock: systemClock, logger: createLogger('silent') });
  await syncIndexes(services);
  await services.users.create({ email: 'bench@example.com', name: 'bench', role: 'admin' }, SYSTEM_ACTOR);
  const { token } = await services.users.issueToken('bench@example.com', 'bench', SYSTEM_ACTOR);
  http = await listen(createApp(services), 0, '127.0.0.1');
  const base = `http://127.0.0.1:${http.port}`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  // Node's fetch keeps connections alive; the body is always read so the connection is reused.
  const get = async (url: string) => {
    const res = await fetch(base + url, { headers });
    await res.arrayBuffer();
    return res.status === 200;
  };
  const keys: string[] = [];
  const file = async (i: number) => {
    const res = await fetch(`${base}/api/v1/incidents`, { method: 'POST', headers, body: JSON.stringify({ ...fixture, title: `${fixture.title as string} #${i}` }) });
    const body = (await res.json()) as { key?: string };
    if (res.status === 201 && body.key) keys.push(body.key);
    return res.status === 201;
  };

  const results: Result[] = [];
  const httpFloor = await measure('floor: GET /healthz', 1000, () => get('/healthz'));
  results.push(httpFloor);
  results.push(await measure('POST /incidents (sequential)', SEQUENTIAL_FILINGS, file));
  // All filings are in 2023, so every one of them competes for the same key sequence.
  results.push(await measure(`POST /incidents (${IN_FLIGHT} in flight)`, CONCURRENT_FILINGS, file, IN_FLIGHT));
  if (new Set(keys).size !== keys.length) throw new Error('duplicate incident keys under concurrent filing');

  const someId = (await conn.db!.collection('incidents').findOne({}, { projection: { _id: 1 } }))!._id;
  const dbFloor = await measure('floor: driver findOne by _id', 1000, async () => (await conn!.db!.collection('incidents').findOne({ _id: someId })) !== null);
  results.splice(1, 0, dbFloor);

  // The same reads over the filed incidents, then over the cloned data set: the growth is the finding.
  const reads = async () => {
    const have = (await services.models.incidents.find({}, { key: 1 }).lean<{ key: string }[]>()).map((d) => d.key);
    const key = (i: number) => have[Math.abs(i * 7919) % have.length]!;
    const label = `[${have.length}]`;
    results.push(await measure(`${label} GET /incidents/:key`, 100, (i) => get(`/api/v1/incidents/${key(i)}`)));
    results.push(await measure(`${label} GET /incidents?q=TiDB&pageSize=20`, 50, (i) => get(`/api/v1/incidents?q=TiDB&pageSize=20&page=${(Math.abs(i) % 5) + 1}`)));
    results.push(await measure(`${label} GET /actions?overdue=true`, 50, () => get('/api/v1/actions?overdue=true')));
    results.push(await measure(`${label} GET /actions/stats`, 30, () => get('/api/v1/actions/stats')));
    results.push(await measure(`${label} GET /incidents/:key/document (html)`, 100, (i) => get(`/api/v1/incidents/${key(i)}/document?template=postmortem&format=html`)));
  };
  await reads();
  await cloneTo(services, LARGE);
  await reads();

  for (const r of results) {
    r.xHttpFloor = r.medianMs / httpFloor.medianMs;
    r.xDbFloor = r.medianMs / dbFloor.medianMs;
  }
  const incidents = await services.models.incidents.countDocuments();
  const actions = await services.models.actions.countDocuments();
  const meta = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, store: external ? 'MONGODB_URI' : 'embedded FerretDB (SQLite)', incidents, actions, distinctKeys: keys.length };

  const f = (n: number | undefined, d = 1) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));
  console.log(`${meta.date} · Node ${meta.node} · ${meta.cpus} CPUs · ${meta.store} · ${incidents} incidents, ${actions} actions`);
  console.log('| case | count | errors | median ms | p95 ms | req/s | × /healthz | × findOne |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(`| ${r.case} | ${r.count} | ${r.errors} | ${f(r.medianMs, 2)} | ${f(r.p95Ms, 2)} | ${f(r.perSecond, 0)} | ${f(r.xHttpFloor)} | ${f(r.xDbFloor)} |`);
  }
  if (args.out) writeFileSync(args.out, JSON.stringify({ ...meta, results }, null, 2) + '\n');
} finally {
  await cleanup();
}
