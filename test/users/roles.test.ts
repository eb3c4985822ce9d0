import { expect } from 'chai';
import type supertest from 'supertest';
import { ROLES, type Role } from '../../src/users/permissions.js';
import { createTestContext, type TestContext } from '../support/context.js';

/**
 * Every declared API route under /api/v1, as the app registers it (read back from the OpenAPI document).
 * The Slack interactions endpoint is declared too but takes no roles: Slack's signature is its credential
 * (test/channels/slack-interactions.test.ts).
 */
async function routes(t: TestContext): Promise<{ method: string; path: string; roles: string }[]> {
  const { body } = await t.api.get('/api/v1/openapi.json').expect(200);
  const out: { method: string; path: string; roles: string }[] = [];
  for (const [path, ops] of Object.entries(body.paths as Record<string, Record<string, { description: string }>>)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [method, op] of Object.entries(ops)) out.push({ method, path, roles: op.description });
  }
  return out;
}

describe('who may do what', () => {
  let t: TestContext;
  const agents = {} as Record<Role, supertest.Agent>;
  before(async () => {
    t = await createTestContext('roles');
    for (const role of ROLES) agents[role] = role === 'admin' ? t.api : await t.as(role);
  });
  after(() => t.close());

  it('walks every route with every role: 403 exactly where the role table says so, never a 500, and nothing changes', async () => {
    const all = await routes(t);
    expect(all.length).to.be.greaterThan(10);
    const before = await t.services.models.incidents.countDocuments();
    for (const route of all) {
      const allowed = /Roles: (.*)\./.exec(route.roles)![1]!.split(', ');
      // Placeholders that match no record: a permitted role gets past the role check to 400/404/…
      const url = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'key' ? 'INC-1999-0999' : name === 'user' ? 'nobody@example.com' : 'x'));
      for (const role of ROLES) {
        const res = await (agents[role] as unknown as Record<string, (u: string) => supertest.Test>)[route.method]!(url).send({});
        expect(res.status, `${role} ${route.method} ${route.path} answers an empty request without a 500`).to.be.below(500);
        if (allowed.includes(role)) {
          expect(res.status, `${role} ${route.method} ${route.path}`).to.not.equal(403);
        } else {
          expect(res.status, `${role} ${route.method} ${route.path}`).to.equal(403);
          expect(res.body.error.message).to.include(`A ${role} may not`);
        }
      }
    }
    expect(await t.services.models.incidents.countDocuments()).to.equal(before);
  });

  it('asks for credentials on every API route but health and the OpenAPI document', async () => {
    const anon = (await import('supertest')).default(t.app);
    for (const route of await routes(t)) {
      if (route.path === '/api/v1/openapi.json') continue;
      const url = route.path.replace(/\{(\w+)\}/g, 'x');
      const res = await (anon as unknown as Record<string, (u: string) => supertest.Test>)[route.method]!(url);
      expect(res.status, `${route.method} ${route.path}`).to.equal(401);
    }
    await anon.get('/healthz').expect(200);
    await anon.get('/api/v1/openapi.json').expect(200);
  });
});
