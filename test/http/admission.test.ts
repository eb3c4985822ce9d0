import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { admission } from '../../src/http/admission.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/lib/logger.js';
import { currentScope, inRequestScope } from '../../src/lib/request-scope.js';

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
  /** The request scope each handler ran in, by the request's `n` query value. */
  const scopes = new Map<string, object | undefined>();

  before(async () => {
    const app = express();
    app.use((_req, res, next) => inRequestScope(next, res));
    app.use(guard);
    // A body is read first, then the request takes its turn (as src/app.ts mounts it after each parser).
    app.use(express.json(), guard);
    app.all('/work', async (req, res) => {
      scopes.set(String(req.query.n), currentScope());
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

  it('runs a queued request in its own request scope, not in that of the request whose end let it in', async () => {
    const first = fetch(`${base}/work?n=a`);
    const second = fetch(`${base}/work?n=b`);
    await until(() => inside.length === 2);
    const third = fetch(`${base}/work?n=c`);
    await until(() => guard.waiting === 1);
    letOneGo();
    await until(() => inside.length === 2 && scopes.has('c'));
    while (inside.length) letOneGo();
    await Promise.all([first, second, third]);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => scopes.get(n));
    expect(a).to.be.an('object');
    expect(new Set([a, b, c]).size).to.equal(3);
  });

  it('takes a request whose body is still arriving in only once its body is read', async () => {
    const held = [fetch(`${base}/work`), fetch(`${base}/work`)];
    await until(() => inside.length === 2);
    // A POST sends its headers and half its body: it waits for the rest, not for a place.
    const post = http.request(`${base}/work?n=post`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '9' } });
    const answered = new Promise<number>((resolve, reject) => post.once('response', (res) => resolve(res.statusCode!)).once('error', reject));
    post.write('{"a":');
    post.flushHeaders();
    letOneGo();
    await (await held[0]!).json();
    // Its place was free all along, and the next GET takes it.
    const next = fetch(`${base}/work`);
    await until(() => inside.length === 2);
    expect(guard.waiting).to.equal(0);
    // The rest of the body arrives: now it waits its turn.
    post.end('"b"}');
    await until(() => guard.waiting === 1);
    while (inside.length || guard.waiting) {
      if (inside.length) letOneGo();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await answered).to.equal(200);
    expect((await held[1]!).status).to.equal(200);
    expect((await next).status).to.equal(200);
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

describe('admission: writes first, a read that waited a second before them', () => {
  let server: http.Server;
  let base: string;
  let clock = 0;
  const guard = admission(1, 4, () => clock);
  const inside: (() => void)[] = [];
  /** The order requests got in, by their `n` query value. */
  const order: string[] = [];

  before(async () => {
    const app = express();
    app.use(guard);
    app.use(express.json(), guard);
    app.all('/work', async (req, res) => {
      order.push(String(req.query.n));
      await new Promise<void>((resolve) => inside.push(resolve));
      res.json({ done: true });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const letGo = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await until(() => inside.length === 1);
      inside.shift()!();
      await until(() => inside.length === 1 || guard.waiting === 0);
    }
  };
  const post = (n: string) => fetch(`${base}/work?n=${n}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

  it('lets a waiting write in before reads that came earlier, and in arrival order among writes', async () => {
    order.length = 0;
    const all = [fetch(`${base}/work?n=inside`)];
    await until(() => inside.length === 1);
    all.push(fetch(`${base}/work?n=read1`));
    await until(() => guard.waiting === 1);
    all.push(post('write1'));
    await until(() => guard.waiting === 2);
    all.push(fetch(`${base}/work?n=read2`));
    await until(() => guard.waiting === 3);
    all.push(post('write2'));
    await until(() => guard.waiting === 4);
    await letGo(5);
    for (const res of await Promise.all(all)) expect(res.status).to.equal(200);
    expect(order).to.deep.equal(['inside', 'write1', 'write2', 'read1', 'read2']);
  });

  it('lets a read that has waited more than a second in before the writes that came after it, not before earlier ones', async () => {
    order.length = 0;
    const all = [fetch(`${base}/work?n=inside`)];
    await until(() => inside.length === 1);
    all.push(post('write1'));
    await until(() => guard.waiting === 1);
    clock += 10;
    all.push(fetch(`${base}/work?n=read`));
    await until(() => guard.waiting === 2);
    clock += 1_001;
    all.push(post('write2'));
    await until(() => guard.waiting === 3);
    await letGo(4);
    for (const res of await Promise.all(all)) expect(res.status).to.equal(200);
    expect(order).to.deep.equal(['inside', 'write1', 'read', 'write2']);
  });
});
