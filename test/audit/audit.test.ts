import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

describe('audit log', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('audit_log');
  });
  after(() => t.close());

  it("tells an incident's whole life: filing, edits, every action move, closing", async () => {
    const editor = await t.as('editor', 'sre@example.com');
    const reviewer = await t.as('reviewer', 'lead@example.com');
    const { key } = (await editor.post('/api/v1/incidents').send({ ...fixture('tidb-sync'), actions: [{ title: 'Alert on sync lag', type: 'detect' }] }).expect(201)).body;
    const a1 = `${key}-A1`;
    await editor.patch(`/api/v1/actions/${a1}`).send({ version: 0, owner: 'sre@example.com' }).expect(200);
    await editor.post(`/api/v1/actions/${a1}/transitions`).send({ to: 'done', note: 'Lag alert at 5 min', evidence: ['https://git.example.com/mr/42'] }).expect(200);
    await reviewer.post(`/api/v1/actions/${a1}/transitions`).send({ to: 'verified' }).expect(200);
    const incident = (await editor.get(`/api/v1/incidents/${key}`)).body;
    await editor.patch(`/api/v1/incidents/${key}`).send({ version: incident.version, status: 'closed' }).expect(200);

    const res = await t.api.get(`/api/v1/audit?incident=${key}`).expect(200);
    const story = res.body.items.map((e: { by: string; event: string; key: string }) => `${e.by} ${e.key}: ${e.event}`);
    expect(story).to.deep.equal([
      `sre@example.com ${key}: filed`,
      `sre@example.com ${a1}: updated`,
      `sre@example.com ${a1}: status open → done`,
      `lead@example.com ${a1}: status done → verified`,
      `sre@example.com ${key}: status resolved → closed`,
    ]);
    const assigned = res.body.items[1];
    expect(assigned.changes).to.deep.include({ field: 'owner', from: null, to: 'sre@example.com' });
    const closed = res.body.items[4];
    expect(closed.changes).to.deep.equal([{ field: 'status', from: 'resolved', to: 'closed' }]);
  });

  it('filters by person and time, and is for admins only', async () => {
    const editor = await t.as('editor', 'sre@example.com');
    await editor.get('/api/v1/audit').expect(403);
    const mine = await t.api.get('/api/v1/audit?by=lead@example.com').expect(200);
    expect(mine.body.items.map((e: { event: string }) => e.event)).to.deep.equal(['status done → verified']);
    const future = await t.api.get(`/api/v1/audit?from=${encodeURIComponent(new Date(t.clock.now().getTime() + 60_000).toISOString())}`).expect(200);
    expect(future.body.total).to.equal(0);
  });
});
