import { expect } from 'chai';
import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { listen } from '../../src/http/server.js';
import { ManualClock } from '../../src/lib/clock.js';
import { loadConfig } from '../../src/lib/config.js';
import { startEmbeddedStore } from '../../src/lib/embedded-store.js';
import { createLogger } from '../../src/lib/logger.js';
import { openStore } from '../../src/runtime.js';
import { buildServices, syncIndexes } from '../../src/services.js';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';

describe('HTTP server', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('http_server');
  });
  after(() => t.close());

  it('answers health and readiness', async () => {
    expect((await t.api.get('/healthz').expect(200)).body).to.deep.equal({ status: 'ok' });
    const ready = await t.api.get('/readyz').expect(200);
    expect(ready.body.checks.database).to.equal('ok');
  });

  it('is not ready until the read model has loaded every record', async () => {
    await t.api.post('/api/v1/incidents').send({ title: 'loaded before ready', severity: 'E', status: 'resolved', window: { startedAt: '2026-11-20T10:00', resolvedAt: '2026-11-20T11:00' } }).expect(201);
    await inAnotherProcess(t, async (starting) => {
      const probe = supertest(createApp(starting));
      const loading = await probe.get('/readyz').expect(503);
      expect(loading.body).to.deep.include({ status: 'loading' });
      expect(loading.body.checks).to.include({ database: 'ok', readModel: 'loading' });
      expect(loading.headers['retry-after']).to.equal('5');
      await starting.mirror.sync();
      const ready = await probe.get('/readyz').expect(200);
      expect(ready.body.checks).to.include({ readModel: 'loaded' });
    });
  });

  it('gives every response a request id, keeping one the client sent', async () => {
    const res = await t.api.get('/healthz').set('x-request-id', 'trace-42');
    expect(res.headers['x-request-id']).to.equal('trace-42');
    expect((await t.api.get('/healthz')).headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await t.api.get('/api/v1/nothing-here').expect(404);
    expect(res.body.error).to.include({ status: 404, code: 'not_found' });
  });

  it('finishes a request in flight when it shuts down, and refuses new connections', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    const outer = express();
    outer.get('/slow', async (_req, res) => {
      arrived();
      await held;
      res.json({ finished: true });
    });
    outer.use(t.app);
    const server = await listen(outer, 0, '127.0.0.1');
    const base = `http://127.0.0.1:${server.port}`;

    const slow = fetch(`${base}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await inFlight;
    const closed = server.close();
    let refused = false;
    await fetch(`${base}/healthz`).catch(() => (refused = true));
    expect(refused, 'new connection refused while draining').to.equal(true);
    release();
    expect(await slow).to.deep.equal({ status: 200, body: { finished: true } });
    await closed;
  });
});

describe('HTTP server with a database that goes away (MONGODB_URI)', () => {
  it('answers 503 with Retry-After within 2 s, not a 500 after the driver\'s time-out', async function () {
    this.timeout(60_000);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'debrief-gone-'));
    const external = await startEmbeddedStore({ dataDir });
    try {
      const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', MONGODB_URI: `${external.uri}debrief_gone` });
      const store = await openStore(config, createLogger('silent'));
      const services = buildServices({ config, conn: store.conn, clock: new ManualClock('2026-11-25T02:00:00Z'), logger: createLogger('silent'), storeAvailable: store.available });
      await syncIndexes(services);
      await services.users.create({ email: 'admin@example.com', name: 'A', role: 'admin' }, SYSTEM_ACTOR);
      const { token } = await services.users.issueToken('admin@example.com', 't', SYSTEM_ACTOR);
      const api = supertest(createApp(services));
      await api.get('/api/v1/incidents').set('Authorization', `Bearer ${token}`).expect(200);
      await external.stop();
      const started = Date.now();
      const res = await api.get('/api/v1/incidents').set('Authorization', `Bearer ${token}`);
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('5');
      expect(Date.now() - started).to.be.below(2_000);
      expect((await api.get('/readyz')).status).to.equal(503);
      await store.close();
    } finally {
      await external.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
