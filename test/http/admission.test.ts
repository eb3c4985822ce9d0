import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { admission } from '../../src/http/admission.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/lib/logger.js';

/** Lets the event loop run until `ready` holds (requests reaching the server), without waiting on a clock. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !ready(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!ready()) throw new Error('never became true');
}

describe('admission: a few requests at a time, the rest in turn', () => {
  let server: http.Server;
  let base: string;
  const guard = admission(2, 1);
  /** Requests inside the handler, each waiting to be let go. */
  const inside: (() => void)[] = [];
  let most = 0;

  before(async () => {
    const app = express();
    app.use(guard);
    app.get('/work', async (_req, res) => {
      await new Promise<void>((resolve) => {
        inside.push(resolve);
        most = Math.max(most, inside.length);
      });
      res.json({ done: true });
    });
    app.use(errorHandler(createLogger('silent')));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const letOneGo = () => {
    const next = inside.shift()!;
    next();
  };

  it('works on at most the limit at once, queues the next, refuses beyond the queue with 503 and Retry-After, and serves the queue in turn', async () => {
    const first = [fetch(`${base}/work`), fetch(`${base}/work`)];
    await until(() => inside.length === 2);
    const third = fetch(`${base}/work`);
    await until(() => guard.waiting === 1);
    const refused = await fetch(`${base}/work`);
    expect(refused.status).to.equal(503);
    expect(refused.headers.get('retry-after')).to.equal('5');
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('busy');
    // The queued one starts only when one inside finishes.
    expect(inside.length).to.equal(2);
    letOneGo();
    await until(() => guard.waiting === 0 && inside.length === 2);
    letOneGo();
    letOneGo();
    for (const res of [...(await Promise.all(first)), await third]) expect(res.status).to.equal(200);
    expect(most).to.equal(2);
  });

  it('gives up the place of a client that leaves while waiting, and the slot of one that leaves while inside', async () => {
    const held = [fetch(`${base}/work`), fetch(`${base}/work`)];
    await until(() => inside.length === 2);
    const leaving = new AbortController();
    const gone = fetch(`${base}/work`, { signal: leaving.signal }).catch((err: Error) => err.name);
    await until(() => guard.waiting === 1);
    leaving.abort();
    expect(await gone).to.equal('AbortError');
    await until(() => guard.waiting === 0);
    // A client inside leaves too: its slot comes back when its connection closes, before its handler ends.
    const insideLeaving = new AbortController();
    letOneGo();
    await (await held[0]!).json();
    const third = fetch(`${base}/work`, { signal: insideLeaving.signal }).catch((err: Error) => err.name);
    await until(() => inside.length === 2);
    insideLeaving.abort();
    expect(await third).to.equal('AbortError');
    const next = fetch(`${base}/work`);
    // Two slots: one still held, one freed by the client that left; the new request gets in.
    await until(() => inside.length === 3);
    while (inside.length) letOneGo();
    expect((await held[1]!).status).to.equal(200);
    expect((await next).status).to.equal(200);
  });
});
