import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import supertest from 'supertest';
import { MAX_INPUT_DEPTH } from '../../src/http/validate.js';
import { fixture } from '../support/fixtures.js';
import { createTestContext, type TestContext } from '../support/context.js';

type Op = { path: string; method: string; body: boolean; query: string[]; bodyFields: string[] };

const deep = (levels: number, open = '[', close = ']') => `{"to":"in_progress","x":${open.repeat(levels)}${close.repeat(levels)}}`;

/** Malformed bodies of every kind a client (or an attacker) can send, each as raw bytes with its headers. */
const BAD_BODIES: { name: string; type?: string; encoding?: string; data: string | Buffer }[] = [
  { name: 'arrays nested 6,000 deep', data: deep(6000) },
  { name: 'objects nested 6,000 deep', data: `{"x":${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}}` },
  { name: 'not JSON', data: '{"title": ' },
  { name: 'JSON null', data: 'null' },
  { name: 'a JSON array', data: '[1,2,3]' },
  { name: 'a JSON string', data: '"text"' },
  { name: 'a JSON number', data: '1e400' },
  { name: 'an operator key', data: '{"title":{"$gt":""},"$where":"1"}' },
  { name: 'a dotted operator key', data: '{"a.$b":1}' },
  { name: 'a __proto__ key', data: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}' },
  { name: 'gzip declared, plain JSON sent', encoding: 'gzip', data: '{"to":"done"}' },
  { name: 'deflate declared, plain JSON sent', encoding: 'deflate', data: '{"to":"done"}' },
  { name: 'br declared, plain JSON sent', encoding: 'br', data: '{"to":"done"}' },
  { name: 'an unknown encoding', encoding: 'zstd-x', data: '{"to":"done"}' },
  { name: 'a gzip bomb header with a truncated stream', encoding: 'gzip', data: gzipSync('{"to":"done"}').subarray(0, 12) },
  { name: 'an unknown charset', type: 'application/json; charset=klingon', data: '{}' },
  { name: 'text/plain', type: 'text/plain', data: 'hello' },
  { name: 'a form body', type: 'application/x-www-form-urlencoded', data: 'title=x&title=y&%24where=1' },
];

/** Wrong-typed values for a field the schema declares. */
const BAD_VALUES: unknown[] = [null, {}, [], [[[]]], -1, 1e308, true, 'x'.repeat(100_000), '\u0000', '2023-02-30', { $ne: 1 }];

function fill(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'nope'));
}

function expectClientError(res: supertest.Response, what: string): void {
  expect(res.status, `${what}: ${res.status} ${res.text.slice(0, 200)}`).to.be.within(200, 499);
  if (res.status >= 400 && res.type === 'application/json') {
    expect(res.body.error, what).to.include.keys('status', 'code', 'message');
    expect(res.body.error.status, what).to.equal(res.status);
  }
}

describe('malformed input on every API route (fuzz)', function () {
  this.timeout(180_000);
  let t: TestContext;
  let ops: Op[];
  let values: Record<string, string>;
  const agents: Record<string, supertest.Agent> = {};

  before(async () => {
    t = await createTestContext('http_fuzz');
    const incident = (await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body;
    const actionKey = (await t.api.get(`/api/v1/incidents/${incident.key}/actions`).expect(200)).body.items?.[0]?.key ?? `${incident.key}-A1`;
    values = { key: incident.key, n: '1', user: 'admin@example.com', id: 'abc', a: '1', b: '2' };
    agents.admin = t.api;
    agents.viewer = await t.as('viewer');
    const doc = (await t.api.get('/api/v1/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: { properties?: object } }> } }>>;
    };
    ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, op]) => ({
        path: path.startsWith('/api/v1/actions/{key}') ? path.replace('{key}', actionKey) : path,
        method,
        body: Boolean(op.requestBody),
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        bodyFields: Object.keys(op.requestBody?.content['application/json']?.schema.properties ?? {}),
      })),
    );
    expect(ops.length).to.be.above(40);
  });
  after(() => t.close());

  it('a viewer\'s 6,000-level transition body is a 400 naming the limit, at once (it was a 500)', async () => {
    const actionKey = ops.find((o) => o.path.endsWith('/transitions'))!.path.split('/')[4];
    const started = process.hrtime.bigint();
    const res = await agents.viewer!.post(`/api/v1/actions/${actionKey}/transitions`).type('json').send(deep(6000));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(res.status).to.equal(400);
    expect(res.body.error.message).to.equal(`The body nests deeper than ${MAX_INPUT_DEPTH} levels`);
    expect(res.body.error.fields[0].field).to.match(/^x(\.0)+$/);
    expect(ms, 'answered quickly').to.be.below(500);
  });

  it('a body within the limit but full of operators is still refused', async () => {
    const res = await t.api.post('/api/v1/incidents').send({ title: 'x', links: [{ url: 'https://a.b', title: { $gt: '' } }] }).expect(400);
    expect(res.body.error.fields[0].field).to.equal('links.0.title.$gt');
  });

  it('a plain body labelled gzip is a 400 saying so (it was a 500 "incorrect header check")', async () => {
    const res = await t.api.post('/api/v1/incidents').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('{"title":"x"}');
    expect(res.status).to.equal(400);
    expect(res.body.error.message).to.match(/Content-Encoding/);
    const real = await t.api
      .post('/api/v1/incidents')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((body: Buffer) => body as unknown as string)
      .send(gzipSync(JSON.stringify({ title: 'gzipped honestly', window: { startedAt: '2023-02-05T08:00' } })));
    expect(real.status, real.text).to.equal(201);
  });

  it('answers every malformed body on every route and role with a 4xx, never a 500', async () => {
    let sent = 0;
    for (const op of ops.filter((o) => o.method !== 'get')) {
      for (const role of ['admin', 'viewer']) {
        for (const bad of BAD_BODIES) {
          const req = agents[role]!
            [op.method as 'post'](fill(op.path, values))
            .set('Content-Type', bad.type ?? 'application/json');
          if (bad.encoding) req.set('Content-Encoding', bad.encoding);
          expectClientError(await req.send(bad.data), `${role} ${op.method.toUpperCase()} ${op.path} with ${bad.name}`);
          sent++;
        }
      }
    }
    expect(sent).to.be.above(500);
  });

  it('answers wrong-typed fields, parameters and path values with a 4xx, never a 500', async () => {
    for (const op of ops) {
      for (const pathValues of [values, { key: 'INC-9999-9999', n: '-1', user: 'no one', id: '0'.repeat(24), a: 'x', b: '1e9' }, {}]) {
        const url = fill(op.path, pathValues);
        for (const value of BAD_VALUES) {
          const query = Object.fromEntries(op.query.map((q) => [q, typeof value === 'string' ? value.slice(0, 2000) : JSON.stringify(value)]));
          const call = t.api[op.method as 'post'](url).query(query);
          const res = op.body ? await call.send(Object.fromEntries(op.bodyFields.map((f) => [f, value]))) : await call;
          expectClientError(res, `${op.method.toUpperCase()} ${url} with ${JSON.stringify(value).slice(0, 40)}`);
        }
      }
    }
  });

  it('answers unsupported methods with 405 and Allow, before CSRF, and OPTIONS honestly', async () => {
    const res = await t.api.put(`/api/v1/incidents/${values.key}`).send({ title: 'x' });
    expect(res.status).to.equal(405);
    expect(res.headers.allow).to.equal('GET, HEAD, OPTIONS, PATCH');
    expect(res.body.error.code).to.equal('method_not_allowed');
    expect((await t.api.delete(`/api/v1/incidents/${values.key}`)).status).to.equal(405);
    // A browser session without a CSRF token gets the same 405, not "Missing or invalid CSRF token".
    const page = await supertest(t.app).put('/incidents/new').set('Cookie', 'debrief_session=x');
    expect(page.status).to.equal(405);
    expect(page.headers.allow).to.equal('GET, HEAD, OPTIONS, POST');
    const options = await t.api.options('/api/v1/incidents').expect(204);
    expect(options.headers.allow).to.equal('GET, HEAD, OPTIONS, POST');
    for (const op of ops) {
      const url = fill(op.path, values);
      const allow = (await t.api.options(url)).headers.allow!.split(', ');
      expect(allow, url).to.include(op.method.toUpperCase());
      for (const method of ['put', 'delete', 'patch', 'post'] as const) {
        if (allow.includes(method.toUpperCase())) continue;
        const refused = await t.api[method](url).send({});
        expect(refused.status, `${method} ${url}`).to.equal(405);
        expect(refused.headers.allow, `${method} ${url}`).to.equal(allow.join(', '));
      }
    }
    expect((await t.api.put('/api/v1/no-such-thing')).status).to.equal(404);
  });

  it('answers malformed form posts to every page with a 4xx page, never a 500 (signed out: the body is read before CSRF refuses it)', async () => {
    const incidentKey = values.key!;
    const actionKey = ops.find((o) => o.path.endsWith('/transitions'))!.path.split('/')[4]!;
    const pages = ['/login', '/login/link', '/logout', '/account/password', '/incidents/new', `/actions/${actionKey}/transitions`, `/incidents/${incidentKey}/comments`,
      `/incidents/${incidentKey}/comments/abc/replies`, `/incidents/${incidentKey}/comments/abc/resolve`, `/incidents/${incidentKey}/review/request`,
      `/incidents/${incidentKey}/review/decisions`, `/incidents/${incidentKey}/review/publish`, '/links/not-a-token'];
    const browser = supertest.agent(t.app);
    for (const page of pages) {
      for (const bad of BAD_BODIES) {
        const req = browser.post(page).set('Accept', 'text/html').set('Content-Type', bad.type ?? 'application/x-www-form-urlencoded');
        if (bad.encoding) req.set('Content-Encoding', bad.encoding);
        const res = await req.send(bad.data);
        expect(res.status, `POST ${page} with ${bad.name}: ${res.text.slice(0, 200)}`).to.be.within(200, 499);
      }
    }
  });
});
