import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { addAction, fileIncident, move, resetData } from './helpers.js';

describe('actions API', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('actions_api');
  });
  after(() => t.close());
  beforeEach(async () => {
    await resetData(t);
    t.clock.set('2026-11-25T02:00:00Z');
  });

  const keysOf = (res: { body: { items: { key: string }[] } }) => res.body.items.map((a) => a.key);

  describe('adding', () => {
    it('numbers a new action after the existing ones, with defaults, and reads it back', async () => {
      const incident = await fileIncident(t, { actions: [{ title: 'first' }] });
      const created = await t.api.post(`/api/v1/incidents/${incident}/actions`).send({ title: 'Add a replication lag alert', owner: 'Li@Example.com' }).expect(201);
      expect(created.body).to.include({ key: `${incident}-A2`, status: 'open', type: 'other', priority: 'medium', owner: 'li@example.com', unowned: false, version: 0 });
      const read = await t.api.get(`/api/v1/actions/${incident.toLowerCase()}-a2`).expect(200);
      expect(read.body).to.deep.equal(created.body);
    });

    it('gives distinct consecutive keys to actions added at once', async () => {
      const incident = await fileIncident(t);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.api.post(`/api/v1/incidents/${incident}/actions`).send({ title: `a${i}` })));
      expect(results.map((r) => r.status)).to.deep.equal(Array(8).fill(201));
      expect(results.map((r) => r.body.key).sort()).to.deep.equal(Array.from({ length: 8 }, (_, i) => `${incident}-A${i + 1}`).sort());
    });

    it('answers 404 for an unknown incident and 400 by field for bad input, writing nothing', async () => {
      await t.api.post('/api/v1/incidents/INC-2026-0999/actions').send({ title: 'x' }).expect(404);
      const incident = await fileIncident(t);
      const bad = await t.api.post(`/api/v1/incidents/${incident}/actions`).send({ title: '', owner: 'not-an-email', priority: 'urgent', colour: 'red' }).expect(400);
      expect(bad.body.error.fields.map((f: { field: string }) => f.field).sort()).to.deep.equal(['colour', 'owner', 'priority', 'title']);
      expect((await t.api.get(`/api/v1/actions?incident=${incident}`)).body.total).to.equal(0);
    });
  });

  describe('PATCH', () => {
    it('changes the fields it names, bumps the version and records each change in the history', async () => {
      const { key } = await addAction(t, await fileIncident(t), { title: 'Alert on lag' });
      t.clock.advance(60_000);
      const res = await t.api
        .patch(`/api/v1/actions/${key}`)
        .send({ version: 0, owner: 'wang@example.com', team: 'dba', ticket: { key: 'OPS-17', url: 'https://jira.example.com/browse/OPS-17' } })
        .expect(200);
      expect(res.body).to.include({ owner: 'wang@example.com', team: 'dba', title: 'Alert on lag', version: 1 });
      expect(res.body.ticket).to.deep.equal({ key: 'OPS-17', url: 'https://jira.example.com/browse/OPS-17' });
      const history = (await t.api.get(`/api/v1/actions/${key}/history`).expect(200)).body;
      expect(history[0]).to.include({ field: 'created', by: 'admin@example.com', to: 'Alert on lag', at: '2026-11-25T02:00:00.000Z' });
      expect(history.slice(1).map((h: { field: string; from: unknown; to: unknown }) => [h.field, h.from, h.to])).to.deep.equal([
        ['owner', null, 'wang@example.com'],
        ['team', null, 'dba'],
        ['ticket', null, { key: 'OPS-17', url: 'https://jira.example.com/browse/OPS-17' }],
      ]);
      expect(history[1]).to.include({ by: 'admin@example.com', at: '2026-11-25T02:01:00.000Z' });
    });

    it('clears a field sent as null, so the action is unowned again', async () => {
      const { key } = await addAction(t, await fileIncident(t), { owner: 'wang@example.com' });
      const res = await t.api.patch(`/api/v1/actions/${key}`).send({ version: 0, owner: null }).expect(200);
      expect(res.body).to.include({ owner: null, unowned: true });
      const last = (await t.api.get(`/api/v1/actions/${key}/history`)).body.at(-1);
      expect(last).to.include({ field: 'owner', from: 'wang@example.com', to: null });
    });

    it('answers 409 to a stale version and changes nothing', async () => {
      const { key } = await addAction(t, await fileIncident(t), { title: 'first' });
      await t.api.patch(`/api/v1/actions/${key}`).send({ version: 0, title: 'second' }).expect(200);
      const stale = await t.api.patch(`/api/v1/actions/${key}`).send({ version: 0, title: 'third' }).expect(409);
      expect(stale.body.error.currentVersion).to.equal(1);
      expect((await t.api.get(`/api/v1/actions/${key}`)).body.title).to.equal('second');
    });

    it('lets exactly one of two concurrent edits of the same version win', async () => {
      const { key } = await addAction(t, await fileIncident(t));
      const [a, b] = await Promise.all([
        t.api.patch(`/api/v1/actions/${key}`).send({ version: 0, title: 'a' }),
        t.api.patch(`/api/v1/actions/${key}`).send({ version: 0, title: 'b' }),
      ]);
      expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
      expect((await t.api.get(`/api/v1/actions/${key}`)).body.version).to.equal(1);
    });

    it('flags an action as recurring in a later incident', async () => {
      const { key } = await addAction(t, await fileIncident(t));
      const later = await fileIncident(t, { title: 'It happened again' });
      const res = await t.api.patch(`/api/v1/actions/${key}`).send({ version: 0, recurredIn: later.toLowerCase() }).expect(200);
      expect(res.body).to.include({ recurring: true, recurredIn: later });
      const unknown = await t.api.patch(`/api/v1/actions/${key}`).send({ version: 1, recurredIn: 'INC-2020-0001' }).expect(422);
      expect(unknown.body.error.fields[0].field).to.equal('recurredIn');
    });

    it('sends status changes to the transitions endpoint, and leaves an unchanged action at its version', async () => {
      const { key } = await addAction(t, await fileIncident(t), { title: 'same' });
      const res = await t.api.patch(`/api/v1/actions/${key}`).send({ version: 0, status: 'done' }).expect(400);
      expect(res.body.error.fields[0]).to.deep.equal({ field: 'status', message: 'change the status with POST /api/v1/actions/{key}/transitions' });
      const same = await t.api.patch(`/api/v1/actions/${key}`).send({ version: 0, title: 'same' }).expect(200);
      expect(same.body.version).to.equal(0);
    });
  });

  describe('list', () => {
    let billing: string;
    let search: string;
    beforeEach(async () => {
      billing = await fileIncident(t, { severity: 'B', services: ['billing'] });
      search = await fileIncident(t, { severity: 'D', services: ['search'] });
      await addAction(t, billing, { title: 'Alert on lag', owner: 'li@example.com', team: 'dba', type: 'detect', priority: 'high', dueDate: '2026-12-01' });
      await addAction(t, billing, { title: 'Runbook for failover', team: 'dba', type: 'process', priority: 'low', dueDate: '2027-01-15' });
      await addAction(t, search, { title: 'Cap query size', owner: 'wang@example.com', team: 'web', type: 'prevent', dueDate: '2026-11-20' });
      await move(t, `${search}-A1`, { to: 'in_progress' }).expect(200);
    });

    it('filters by owner, team, status, type, priority, incident, unowned and text', async () => {
      const q = (query: string) => t.api.get(`/api/v1/actions?${query}`).expect(200);
      expect(keysOf(await q('owner=LI@example.com'))).to.deep.equal([`${billing}-A1`]);
      expect(keysOf(await q('team=dba'))).to.deep.equal([`${billing}-A1`, `${billing}-A2`]);
      expect(keysOf(await q('status=in_progress,blocked'))).to.deep.equal([`${search}-A1`]);
      expect(keysOf(await q('type=detect,process&priority=low'))).to.deep.equal([`${billing}-A2`]);
      expect(keysOf(await q(`incident=${search.toLowerCase()}`))).to.deep.equal([`${search}-A1`]);
      expect(keysOf(await q('unowned=true'))).to.deep.equal([`${billing}-A2`]);
      expect((await q('unowned=false')).body.total).to.equal(2);
      expect(keysOf(await q('q=RUNBOOK'))).to.deep.equal([`${billing}-A2`]);
      expect((await q('q=.*')).body.total).to.equal(0);
    });

    it("filters by the incident's severity and service, and by due date range", async () => {
      const q = (query: string) => t.api.get(`/api/v1/actions?${query}`).expect(200);
      expect(keysOf(await q('severity=B'))).to.deep.equal([`${billing}-A1`, `${billing}-A2`]);
      expect(keysOf(await q('severity=A,D'))).to.deep.equal([`${search}-A1`]);
      expect(keysOf(await q('service=search'))).to.deep.equal([`${search}-A1`]);
      expect((await q('service=nothing')).body.total).to.equal(0);
      expect(keysOf(await q('dueAfter=2026-11-21&dueBefore=2026-12-01'))).to.deep.equal([`${billing}-A1`]);
      expect(keysOf(await q('overdue=true'))).to.deep.equal([`${search}-A1`]);
    });

    it('sorts by due date by default, pages with a total, and sorts by other fields', async () => {
      const first = await t.api.get('/api/v1/actions?pageSize=2').expect(200);
      expect(first.body).to.include({ total: 3, page: 1, pageSize: 2 });
      expect(keysOf(first)).to.deep.equal([`${search}-A1`, `${billing}-A1`]);
      expect(keysOf(await t.api.get('/api/v1/actions?pageSize=2&page=2'))).to.deep.equal([`${billing}-A2`]);
      expect(keysOf(await t.api.get('/api/v1/actions?sort=-dueDate'))).to.deep.equal([`${billing}-A2`, `${billing}-A1`, `${search}-A1`]);
      expect(keysOf(await t.api.get('/api/v1/actions?sort=key'))).to.deep.equal([`${billing}-A1`, `${billing}-A2`, `${search}-A1`]);
    });

    it('refuses unknown filters, bad values and operators by name', async () => {
      const res = await t.api.get('/api/v1/actions?colour=red&status=finished&overdue=yes&dueBefore=tomorrow&sort=priority').expect(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field).sort()).to.deep.equal(['colour', 'dueBefore', 'overdue', 'sort', 'status.0']);
      await t.api.get('/api/v1/actions?owner[$ne]=x').expect(400);
    });
  });

  it('answers 404 for unknown and malformed action keys', async () => {
    await t.api.get('/api/v1/actions/INC-2026-0001-A1').expect(404);
    await t.api.get('/api/v1/actions/whatever/history').expect(404);
    await t.api.patch('/api/v1/actions/INC-2026-0001-A1').send({ version: 0 }).expect(404);
  });

  it('documents every action route in OpenAPI', async () => {
    const { body } = await t.api.get('/api/v1/openapi.json').expect(200);
    expect(body.paths['/api/v1/actions']).to.have.keys('get');
    expect(body.paths['/api/v1/actions/stats']).to.have.keys('get');
    expect(body.paths['/api/v1/actions/{key}']).to.have.keys('get', 'patch');
    expect(body.paths['/api/v1/actions/{key}/transitions']).to.have.keys('post');
    expect(body.paths['/api/v1/actions/{key}/history']).to.have.keys('get');
    expect(body.paths['/api/v1/incidents/{key}/actions']).to.have.keys('get', 'post');
    const transition = body.paths['/api/v1/actions/{key}/transitions'].post.requestBody.content['application/json'].schema;
    expect(transition.properties.to.enum).to.deep.equal(['open', 'in_progress', 'blocked', 'done', 'verified', 'wont_fix']);
  });
});
