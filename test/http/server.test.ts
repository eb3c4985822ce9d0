import { expect } from 'chai';
import express from 'express';
import { listen } from '../../src/http/server.js';
import { createTestContext, type TestContext } from '../support/context.js';

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
