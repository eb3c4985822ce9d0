import { expect } from 'chai';
import { Types } from 'mongoose';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

describe('audit log', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('audit_log', {}, { monitorCommands: true });
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

  it('pages through the log reading entries by _id only, never the whole log, and reads an entry once (its own writes not at all)', async () => {
    await t.api.get('/api/v1/audit').expect(200);
    // Written by another process (the worker, a CLI command): this one has not seen them.
    await inAnotherProcess(t, async (other) => {
      for (const event of ['one', 'two', 'three', 'four']) await other.audit.record({ email: 'x@example.com' }, { entity: 'incident', key: 'INC-2030-0001', incidentKey: 'INC-2030-0001', event });
    });
    const filtersOf = async (path: string) => {
      const filters: unknown[] = [];
      const listener = (e: { commandName: string; command: Record<string, any> }) => {
        if (e.command[e.commandName] === 'audits') filters.push(e.command.filter);
      };
      t.conn.getClient().on('commandStarted', listener);
      try {
        const page = await t.api.get(path).expect(200);
        expect(page.body.items.map((e: { event: string }) => e.event)).to.deep.equal(['one', 'two']);
        expect(page.body.total).to.equal(4);
      } finally {
        t.conn.getClient().off('commandStarted', listener);
      }
      for (const f of filters) expect(Object.keys(f as object)).to.deep.equal(['_id']);
      return filters;
    };
    // Catching up reads the four new entries (and looks past them), each once; the page then reads nothing more.
    const first = await filtersOf('/api/v1/audit?incident=INC-2030-0001&pageSize=2&page=1');
    const ids = first.map((f) => (f as { _id: string })._id);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(ids).to.have.length.within(5, 8);
    // Entries never change: read again, the page costs only the look for newer ones.
    expect(await filtersOf('/api/v1/audit?incident=INC-2030-0001&pageSize=2&page=1')).to.have.length(1);
    // An entry this process writes is kept as written: a list showing it reads nothing for it.
    await t.services.audit.record({ email: 'x@example.com' }, { entity: 'incident', key: 'INC-2030-0002', incidentKey: 'INC-2030-0002', event: 'mine' });
    const reads: unknown[] = [];
    const listener = (e: { commandName: string; command: Record<string, any> }) => e.command[e.commandName] === 'audits' && reads.push(e.command.filter);
    t.conn.getClient().on('commandStarted', listener);
    try {
      expect((await t.api.get('/api/v1/audit?incident=INC-2030-0002').expect(200)).body.items.map((e: { event: string }) => e.event)).to.deep.equal(['mine']);
    } finally {
      t.conn.getClient().off('commandStarted', listener);
    }
    expect(reads).to.have.length(1); // the look for newer entries only
  });

  it("shows entries stored before entries were numbered, and another process's new ones on the next list", async () => {
    const old = { _id: new Types.ObjectId(), entity: 'incident', key: 'INC-2019-0001', incidentKey: 'INC-2019-0001', event: 'filed', by: 'old@example.com', at: new Date('2019-05-01T00:00:00Z'), changes: [] };
    await t.conn.db!.collection('audits').insertOne(old as never);
    // A process started after the upgrade: its index is read whole on its first list.
    await inAnotherProcess(t, async (other) => {
      const first = await other.audit.list({ page: 1, pageSize: 1 });
      expect(first.items.map((e) => [e.id, e.key])).to.deep.equal([[String(old._id), 'INC-2019-0001']]);
      await t.services.audit.record({ email: 'x@example.com' }, { entity: 'incident', key: 'INC-2019-0001', incidentKey: 'INC-2019-0001', event: 'reopened' });
      const story = await other.audit.list({ incident: 'INC-2019-0001', page: 1, pageSize: 10 });
      expect(story.items.map((e) => e.event)).to.deep.equal(['filed', 'reopened']);
    });
  });

  it("gives an incident's story alone, not that of a key it begins (INC-2031-1000 and INC-2031-10000), over a time range, in time order", async () => {
    const write = (key: string, event: string, entity: 'incident' | 'action' = 'incident') =>
      t.services.audit.record({ email: 'y@example.com' }, { entity, key: entity === 'action' ? `${key}-A1` : key, incidentKey: key, event });
    await write('INC-2031-1000', 'filed');
    await write('INC-2031-10000', 'filed');
    t.clock.advance(60_000);
    const middle = t.clock.now();
    await write('INC-2031-1000', 'action added', 'action');
    await write('INC-2031-10000', 'action added', 'action');
    t.clock.advance(60_000);
    await write('INC-2031-1000', 'closed');
    const story = (q = '') => t.api.get(`/api/v1/audit?incident=INC-2031-1000${q}`).expect(200);
    expect((await story()).body.items.map((e: { event: string; key: string }) => `${e.key} ${e.event}`)).to.deep.equal([
      'INC-2031-1000 filed',
      'INC-2031-1000-A1 action added',
      'INC-2031-1000 closed',
    ]);
    // From the middle minute to its end: the action's entry alone, for this incident and, by author, for both.
    const range = `&from=${encodeURIComponent(middle.toISOString())}&to=${encodeURIComponent(new Date(middle.getTime() + 59_999).toISOString())}`;
    expect((await story(range)).body.items.map((e: { key: string }) => e.key)).to.deep.equal(['INC-2031-1000-A1']);
    const byAuthor = await t.api.get(`/api/v1/audit?by=Y@example.com${range}`).expect(200);
    expect(byAuthor.body.items.map((e: { key: string }) => e.key)).to.deep.equal(['INC-2031-1000-A1', 'INC-2031-10000-A1']);
    expect((await t.api.get(`/api/v1/audit?by=y@example.com&entity=incident`).expect(200)).body.total).to.equal(3);
  });
});
