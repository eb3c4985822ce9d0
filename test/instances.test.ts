import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SYSTEM_ACTOR } from '../src/http/actor.js';
import { loadConfig } from '../src/lib/config.js';
import { systemClock } from '../src/lib/clock.js';
import { connectDb } from '../src/lib/db.js';
import { createLogger } from '../src/lib/logger.js';
import { buildServices, syncIndexes } from '../src/services.js';
import { fixture } from './support/fixtures.js';
import { serverUri } from './support/hooks.js';

/**
 * Two server processes (src/main.ts) and a worker (scripts/worker.ts) on one database, as behind a
 * load balancer: the embedded store of the test run here, FerretDB on PostgreSQL under `npm run
 * test:postgres`. Each instance keeps its own read model and catches up from the change feed before
 * answering, so no instance answers from before another's acknowledged write.
 */
const DB = 'test_instances';
/** The instances' shared DATA_DIR (they save their read models there), not the repository's ./data. */
const DATA_DIR = mkdtempSync(path.join(tmpdir(), 'debrief-instances-'));

function uriOf(db: string): string {
  const url = new URL(serverUri());
  url.pathname = `/${db}`;
  return url.toString();
}

/** Starts an entry point on the shared database; resolves with its port once it listens (servers) or at once (the worker). */
function start(script: string, started: ChildProcess[]): { child: ChildProcess; port: Promise<number> } {
  const { MONGODB_URI: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...inherited, MONGODB_URI: uriOf(DB), DATA_DIR, PORT: '0', LOG_LEVEL: 'info', RUN_WORKER: 'false', SEED_DEMO: 'false', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const port = /"port":(\d+)/.exec(line)?.[1];
      if (port && line.includes('Debrief listening')) resolve(Number(port));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
  port.catch(() => undefined);
  return { child, port };
}

describe('two instances and a worker on one database', function () {
  this.timeout(120_000);
  const started: ChildProcess[] = [];
  let token: string;
  let a: string;
  let b: string;
  let serverA: ChildProcess;
  let worker: ChildProcess;
  const call = (base: string, path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });

  before(async () => {
    // The operator's first step: a database with a person and an API token.
    const conn = await connectDb(serverUri(), DB);
    await conn.dropDatabase();
    const services = buildServices({ config: loadConfig({ LOG_LEVEL: 'silent', SEED_DEMO: 'false' }), conn, clock: systemClock, logger: createLogger('silent') });
    await syncIndexes(services);
    await services.users.create({ email: 'ops@example.com', name: 'Ops', role: 'admin' }, SYSTEM_ACTOR);
    token = (await services.users.issueToken('ops@example.com', 'lb', SYSTEM_ACTOR)).token;
    await conn.close();
    const first = start('src/main.ts', started);
    const second = start('src/main.ts', started);
    worker = start('scripts/worker.ts', started).child;
    serverA = first.child;
    a = `http://127.0.0.1:${await first.port}`;
    b = `http://127.0.0.1:${await second.port}`;
  });
  after(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(DATA_DIR, { recursive: true, force: true });
  });

  it('shows a write on one instance in the next request on the other (filing, edit, list)', async () => {
    for (let i = 0; i < 5; i++) {
      const filed = await call(a, '/api/v1/incidents', { method: 'POST', body: { ...fixture('decrypt-failure'), title: `written on A ${i}` } });
      expect(filed.status).to.equal(201);
      const { key } = (await filed.json()) as { key: string };
      const seen = await call(b, `/api/v1/incidents/${key}`);
      expect(seen.status, key).to.equal(200);
      expect(((await seen.json()) as { title: string }).title).to.equal(`written on A ${i}`);
      expect((await call(b, `/api/v1/incidents/${key}`, { method: 'PATCH', body: { version: 0, title: `edited on B ${i}` } })).status).to.equal(200);
      const back = (await (await call(a, `/api/v1/incidents/${key}`)).json()) as { title: string; version: number };
      expect(back).to.include({ title: `edited on B ${i}`, version: 1 });
      const listed = (await (await call(a, `/api/v1/incidents?q=${encodeURIComponent(`edited on B ${i}`)}`)).json()) as { items: { key: string }[] };
      expect(listed.items.map((x) => x.key)).to.deep.equal([key]);
    }
  });

  it('keeps exactly one winner of concurrent edits of the same version on both instances', async () => {
    const { key } = (await (await call(a, '/api/v1/incidents', { method: 'POST', body: fixture('tidb-sync') })).json()) as { key: string };
    for (let version = 0; version < 6; version++) {
      const [onA, onB] = await Promise.all([
        call(a, `/api/v1/incidents/${key}`, { method: 'PATCH', body: { version, title: `A ${version}` } }),
        call(b, `/api/v1/incidents/${key}`, { method: 'PATCH', body: { version, title: `B ${version}` } }),
      ]);
      expect([onA.status, onB.status].sort(), `version ${version}`).to.deep.equal([200, 409]);
      const winner = onA.status === 200 ? `A ${version}` : `B ${version}`;
      for (const base of [a, b]) expect((await (await call(base, `/api/v1/incidents/${key}`)).json()) as object).to.include({ title: winner, version: version + 1 });
    }
  });

  it('loses nothing acknowledged when one instance is killed (SIGKILL) while filing, and the other goes on', async () => {
    const acknowledged: string[] = [];
    let stop = false;
    const fileOnA = async () => {
      while (!stop) {
        const res = await call(a, '/api/v1/incidents', { method: 'POST', body: { ...fixture('decrypt-failure'), title: 'before the kill' } }).catch(() => undefined);
        if (!res) return;
        if (res.status === 201) acknowledged.push(((await res.json()) as { key: string }).key);
      }
    };
    const filing = Promise.all([fileOnA(), fileOnA(), fileOnA(), fileOnA()]);
    while (acknowledged.length < 12) await new Promise((resolve) => setTimeout(resolve, 10));
    serverA.kill('SIGKILL');
    stop = true;
    await filing;
    for (const key of acknowledged) {
      const res = await call(b, `/api/v1/incidents/${key}`);
      expect(res.status, key).to.equal(200);
      expect(((await res.json()) as { actions: { key: string }[] }).actions.map((x) => x.key), key).to.deep.equal([1, 2, 3].map((n) => `${key}-A${n}`));
    }
    const after = await call(b, '/api/v1/incidents', { method: 'POST', body: { ...fixture('decrypt-failure'), title: 'after the kill' } });
    expect(after.status).to.equal(201);
    expect(acknowledged).to.not.include(((await after.json()) as { key: string }).key);
    // The worker ran beside them all along.
    expect(worker.exitCode).to.equal(null);
  });
});
