import { expect } from 'chai';
import supertest from 'supertest';
import { hashSecret } from '../../src/users/secrets.js';
import { createTestContext, type TestContext } from '../support/context.js';

describe('people and API tokens', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('users_api');
  });
  after(() => t.close());

  it('adds a person with defaults from config and refuses a second with the same email', async () => {
    const res = await t.api.post('/api/v1/users').send({ email: 'Wang@Example.com', name: 'Wang Wei', role: 'editor', team: 'payments' }).expect(201);
    expect(res.body).to.include({ email: 'wang@example.com', role: 'editor', timezone: 'Asia/Shanghai', locale: 'zh-CN', team: 'payments', hasPassword: false });
    const dup = await t.api.post('/api/v1/users').send({ email: 'wang@example.com', name: 'Other', role: 'viewer' }).expect(409);
    expect(dup.body.error.message).to.match(/already exists/);
    const bad = await t.api.post('/api/v1/users').send({ email: 'x@example.com', name: 'X', role: 'owner' }).expect(400);
    expect(bad.body.error.fields[0].field).to.equal('role');
  });

  it('stores tokens only as hashes, shows them once, and records when they were last used', async () => {
    const created = await t.api.post('/api/v1/me/tokens').send({ name: 'laptop' }).expect(201);
    const { token, id } = created.body;
    expect(token).to.match(/^dbr_/);
    const stored = await t.services.models.credentials.findById(hashSecret(token)).lean();
    expect(stored!.tokenId).to.equal(id);
    expect(JSON.stringify(stored)).to.not.include(token);
    const listed = await t.api.get('/api/v1/me/tokens').expect(200);
    expect(JSON.stringify(listed.body)).to.not.include(token);

    t.clock.advance(5 * 60_000);
    await supertest(t.app).get('/api/v1/me').set('Authorization', `Bearer ${token}`).expect(200);
    const mine = (await t.api.get('/api/v1/me/tokens')).body.find((x: { id: string }) => x.id === id);
    expect(mine.lastUsedAt).to.equal(t.clock.now().toISOString());
  });

  it('refuses a revoked token at once', async () => {
    const { body } = await t.api.post('/api/v1/me/tokens').send({ name: 'ci' }).expect(201);
    const agent = supertest(t.app);
    await agent.get('/api/v1/incidents').set('Authorization', `Bearer ${body.token}`).expect(200);
    await t.api.delete(`/api/v1/me/tokens/${body.id}`).expect(200);
    const res = await agent.get('/api/v1/incidents').set('Authorization', `Bearer ${body.token}`).expect(401);
    expect(res.body.error.message).to.match(/revoked/);
    await agent.get('/api/v1/incidents').set('Authorization', 'Bearer dbr_made_up').expect(401);
  });

  it('lets an admin change a role, with version checks, and the change takes effect at once', async () => {
    const viewer = await t.as('viewer', 'li@example.com');
    await viewer.post('/api/v1/incidents').send({ title: 'x' }).expect(403);
    const person = (await t.api.get('/api/v1/users/li@example.com').expect(200)).body;
    await t.api.patch('/api/v1/users/li@example.com').send({ version: person.version, role: 'editor' }).expect(200);
    await t.api.patch('/api/v1/users/li@example.com').send({ version: person.version, role: 'admin' }).expect(409);
    await viewer.post('/api/v1/incidents').send({ title: 'x' }).expect(201);
  });

  it('refuses a disabled person', async () => {
    const agent = await t.as('editor', 'gone@example.com');
    const person = (await t.api.get('/api/v1/users/gone@example.com')).body;
    await t.api.patch('/api/v1/users/gone@example.com').send({ version: person.version, disabled: true }).expect(200);
    await agent.get('/api/v1/incidents').expect(401);
  });

  it('keeps people changes in the audit log, without password hashes', async () => {
    const res = await t.api.get('/api/v1/audit?entity=user&by=admin@example.com').expect(200);
    const events = res.body.items.map((e: { key: string; event: string }) => `${e.event} ${e.key}`);
    expect(events).to.include.members(['created wang@example.com', 'updated li@example.com']);
    const roleChange = res.body.items.find((e: { key: string; event: string }) => e.key === 'li@example.com' && e.event === 'updated');
    expect(roleChange.changes).to.deep.equal([{ field: 'role', from: 'viewer', to: 'editor' }]);
    expect(JSON.stringify(res.body)).to.not.include('argon2');
  });
});
