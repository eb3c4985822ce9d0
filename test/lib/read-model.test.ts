import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { Types, type Connection } from 'mongoose';
import supertest from 'supertest';
import { patchActionBody } from '../../src/actions/schemas.js';
import { createIncidentBody, patchIncidentBody } from '../../src/incidents/schemas.js';
import { findJob } from '../../src/jobs.js';
import { REMOVED } from '../../src/lib/feed.js';
import { connectDb, isDuplicateKey } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildServices, type Services } from '../../src/services.js';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { inRequestScope } from '../../src/lib/request-scope.js';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { serverUri } from '../support/hooks.js';
import { byIdOnly, commandsDuring, type Command } from '../support/commands.js';

describe('read model and primary-key reads', function () {
  this.timeout(60_000);
  let t: TestContext;
  let key: string;
  let token: string;

  before(async () => {
    t = await createTestContext('read_model', {}, { monitorCommands: true });
    key = (await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body.key;
    await t.services.users.create({ email: 'lee@example.com', name: 'Lee', role: 'viewer' }, SYSTEM_ACTOR);
    token = (await t.services.users.issueToken('lee@example.com', 'test', SYSTEM_ACTOR)).token;
  });
  after(() => t.close());

  const asLee = (path: string) => supertest(t.app).get(path).set('Authorization', `Bearer ${token}`);

  it('finds an action by _id through the _id index on the embedded store (EXPLAIN QUERY PLAN: SEARCH, not SCAN)', async function () {
    if (process.env.MONGODB_URI) this.skip(); // the plan's shape is the embedded SQLite store's; other servers explain differently
    const plan = await t.conn.db!.command({ explain: { find: 'actions', filter: { _id: `${key}-A1` } }, verbosity: 'queryPlanner' });
    expect(JSON.stringify(plan.queryPlanner)).to.match(/SEARCH \S+ USING INDEX \S+__id_/);
    const withVersion = await t.conn.db!.command({ explain: { find: 'actions', filter: { _id: `${key}-A1`, version: 0 } }, verbosity: 'queryPlanner' });
    expect(JSON.stringify(withVersion.queryPlanner)).to.match(/USING INDEX/);
  });

  it('checks an API token without reading the credentials, whatever their number, and records its use once a minute', async () => {
    for (let i = 0; i < 20; i++) await t.services.users.startSession(String((await t.services.users.find('lee@example.com'))._id));
    const first = await commandsDuring(t.conn, async () => expect((await asLee('/api/v1/me')).status).to.equal(200));
    expect(first.filter((c) => c.collection === 'credentialuses').map((c) => c.name)).to.deep.equal(['update']);
    const commands = await commandsDuring(t.conn, async () => expect((await asLee('/api/v1/me')).status).to.equal(200));
    expect(commands.map((c) => c.collection)).to.deep.equal(['feed']);
    expect([...first, ...commands].every(byIdOnly), JSON.stringify(first)).to.equal(true);
  });

  it('shows the incident page, its document, actions, review and threads with a few _id reads', async () => {
    (await asLee(`/incidents/${key}`)).status;
    const commands = await commandsDuring(t.conn, async () => {
      const page = await asLee(`/incidents/${key}`);
      expect(page.status).to.equal(200);
      expect(page.text).to.include(`${key}-A3`);
    });
    // The change feed's next entry (none): nothing else reaches the store.
    expect(commands.map((c) => c.collection)).to.deep.equal(['feed']);
    expect(commands.every(byIdOnly)).to.equal(true);
  });

  it('answers the incident, list, search, overdue and stats without reading a collection', async () => {
    for (const path of [`/api/v1/incidents/${key}`, '/api/v1/incidents?q=decrypt', '/api/v1/actions?overdue=true', '/api/v1/actions/stats']) {
      const commands = await commandsDuring(t.conn, async () => expect((await asLee(path)).status).to.equal(200));
      expect(commands.every(byIdOnly), `${path}: ${JSON.stringify(commands)}`).to.equal(true);
      expect(commands.map((c) => c.collection), path).to.deep.equal(['feed']);
    }
  });

  it('files an incident with three actions in five commands, each by _id, and keeps what it wrote as the store has it', async () => {
    let answer: { key: string; actions: { key: string }[] } | undefined;
    const commands = await commandsDuring(t.conn, async () => {
      const res = await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure'));
      expect(res.status).to.equal(201);
      answer = res.body;
    });
    // A token's use is recorded at most once a minute; it is not the filing's. The chat channel list
    // (a handful kept by admins, src/channels/service.ts) is read on a process's first event and kept 30 s.
    const filing = commands.filter((c) => c.collection !== 'credentialuses' && c.collection !== 'channels');
    // The feed probe, one announcement for the incident and its actions, the incident (claiming its key), the actions, the audit entry.
    // Its first state is the record itself until an edit keeps it as a revision.
    expect(filing.map((c) => `${c.name} ${c.collection}`).sort()).to.deep.equal(
      ['find feed', 'insert feed', 'insert incidents', 'insert actions', 'insert audits'].sort(),
    );
    // The answer, made from what was written, is what a read gives.
    expect(answer).to.deep.equal((await t.api.get(`/api/v1/incidents/${answer!.key}`).expect(200)).body);
    expect(answer!.actions).to.have.length(3);
    expect(filing.every(byIdOnly)).to.equal(true);
    // The records kept in the read model without reading them back are the stored ones, field for field.
    expect(await t.services.mirror.drift()).to.deep.equal([]);
  });

  it('edits an action in five commands and an incident in six, each by _id, keeping what they wrote as the store has it', async () => {
    const writes = (commands: Command[]) => commands.filter((c) => c.collection !== 'credentialuses');
    const action = (await t.api.get(`/api/v1/actions/${key}-A1`).expect(200)).body;
    const actionEdit = writes(await commandsDuring(t.conn, async () => {
      const { body } = await t.api.patch(`/api/v1/actions/${key}-A1`).send({ version: action.version, team: 'ledger', dueDate: null }).expect(200);
      expect(body).to.include({ team: 'ledger', version: action.version + 1 });
    }));
    // The probe, the claimed version, its announcement, the record, the audit entry: nothing read back.
    expect(actionEdit.map((c) => `${c.name} ${c.collection}`)).to.deep.equal(['find feed', 'insert revisions', 'insert feed', 'update actions', 'insert audits']);
    const incident = (await t.api.get(`/api/v1/incidents/${key}`).expect(200)).body;
    const incidentEdit = writes(await commandsDuring(t.conn, async () => {
      const { body } = await t.api.patch(`/api/v1/incidents/${key}`).send({ version: incident.version, title: 'Decrypt failure, edited', impact: { summary: null } }).expect(200);
      expect(body).to.include({ title: 'Decrypt failure, edited', version: incident.version + 1 });
      expect(body.actions.find((a: { key: string }) => a.key === `${key}-A1`)).to.include({ team: 'ledger' });
    }));
    // The same, and the probe before listing its actions.
    expect(incidentEdit.map((c) => `${c.name} ${c.collection}`)).to.deep.equal(['find feed', 'insert revisions', 'insert feed', 'update incidents', 'insert audits', 'find feed']);
    // The first edit kept the state as filed, and who filed it, in the same command as its claim.
    expect(incident.version).to.equal(0);
    const filed = await t.services.revisions.state('incident', new Types.ObjectId(String(incident.id)), 0);
    expect(filed).to.include({ by: 'admin@example.com', version: 0 });
    expect(filed!.state).to.include({ title: incident.title, key, version: 0 });
    expect([...actionEdit, ...incidentEdit].every(byIdOnly)).to.equal(true);
    expect(await t.services.mirror.drift()).to.deep.equal([]);
    // Another process reads the same.
    const other = buildServices({ config: t.config, conn: t.conn, clock: t.clock, logger: createLogger('silent') });
    expect((await other.actions.get(`${key}-A1`)).team).to.equal('ledger');
    expect((await other.incidents.get(key)).title).to.equal('Decrypt failure, edited');
  });

  it('an edit that finds its record gone (its filing undone meanwhile) answers 404 and keeps nothing of it', async () => {
    const { body } = await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201);
    const action = body.actions[0] as { key: string; version: number };
    await t.conn.db!.collection('actions').deleteOne({ _id: action.key } as never);
    await t.api.patch(`/api/v1/actions/${action.key}`).send({ version: action.version, team: 'gone' }).expect(404);
    await t.api.get(`/api/v1/actions/${action.key}`).expect(404);
    expect(t.services.mirror.get('action', action.key)).to.equal(undefined);
  });

  it("does not look in the store for this process's own write while its request is under way, and looks once the request ends", async () => {
    const id = String(new Types.ObjectId());
    // A request announces a filing of its own and has not inserted it yet.
    const request = new EventEmitter();
    await inRequestScope(() => t.services.feed.appendAll([{ entity: 'incident', id, v: 0 }], { ownWrite: true }), request);
    const read = () => commandsDuring(t.conn, () => inRequestScope(() => t.services.mirror.sync()));
    // Another request meanwhile reads the feed only: the write is not acknowledged, and its writer keeps what it stores.
    expect((await read()).map((c) => c.collection)).to.deep.equal(['feed']);
    // The request ended without storing it (it failed): the next read looks for it, and keeps looking.
    request.emit('close');
    const after = await read();
    expect(after.map((c) => `${c.name} ${c.collection}`)).to.deep.equal(['find feed', 'find incidents']);
    expect(after[1]!.filter).to.deep.equal({ _id: new Types.ObjectId(id) });
    expect(t.services.mirror.get('incident', id)).to.equal(undefined);
  });

  it("looks for another process's record at once when its own create of that id is refused (duplicate key), while its request goes on", async () => {
    const incident = await t.services.incidents.find(key);
    const id = new Types.ObjectId();
    const comment = { _id: id, incidentId: incident._id, incidentKey: incident.key, anchor: { section: 'impact' }, author: 'x@example.com', body: 'first', mentions: [], createdAt: t.clock.now() };
    // Another process stores it first.
    await inAnotherProcess(t, async (other) => {
      await other.records.comments.insert(comment);
    });
    // This process, in a request still under way, tries the same id and is refused.
    const request = new EventEmitter();
    const refused = await inRequestScope(() => t.services.records.comments.insert({ ...comment, body: 'second' }).catch((err: unknown) => err), request);
    expect(isDuplicateKey(refused)).to.equal(true);
    // Another request meanwhile shows the record that was stored.
    await inRequestScope(() => t.services.mirror.sync());
    expect(t.services.mirror.get<{ body: string }>('comment', String(id))?.body).to.equal('first');
    request.emit('close');
  });

  it('spares the feed read of a request that arrived before a finished catch-up started, not of one that arrived after', async () => {
    let waited: Command[] = [];
    // Request A arrives; while it waits its turn, request B arrives and reads the feed.
    await inRequestScope(async () => {
      await inRequestScope(() => t.services.mirror.sync());
      waited = await commandsDuring(t.conn, () => t.services.mirror.sync());
    });
    expect(waited).to.deep.equal([]);
    // Request C arrives after that catch-up: it reads the feed itself (and looks again for what an earlier test left announced but never written).
    const later = await commandsDuring(t.conn, () => inRequestScope(() => t.services.mirror.sync()));
    expect(later.map((c) => `${c.name} ${c.collection}`)[0]).to.equal('find feed');
  });

  it('brings a kept order up to date change by change, as sorting again would give it', async () => {
    const byTitle = (x: { title: string; _id: unknown }, y: { title: string; _id: unknown }) => x.title.localeCompare(y.title) || String(x._id).localeCompare(String(y._id));
    const sorted = () => t.services.mirror.sorted<{ title: string; _id: unknown }>('incident', 'test:title', byTitle);
    const keys: string[] = [];
    for (const title of ['m', 'c', 'x', 'c']) keys.push((await t.api.post('/api/v1/incidents').send({ ...fixture('decrypt-failure'), title }).expect(201)).body.key);
    const before = sorted();
    const kept = before.map((d) => d.title);
    // Moves to the front, to the back, onto an equal title, and a new one.
    for (const [i, title] of [[0, 'a'], [1, 'zz'], [2, 'c']] as const) {
      const { version } = (await t.api.get(`/api/v1/incidents/${keys[i]}`).expect(200)).body;
      await t.api.patch(`/api/v1/incidents/${keys[i]}`).send({ version, title }).expect(200);
    }
    await t.api.post('/api/v1/incidents').send({ ...fixture('decrypt-failure'), title: 'n' }).expect(201);
    await t.services.mirror.sync();
    const after = sorted();
    expect(after).to.not.equal(before);
    expect(before.map((d) => d.title), 'an order given out earlier is left as it was').to.deep.equal(kept);
    expect(after).to.deep.equal(t.services.mirror.all<{ title: string; _id: unknown }>('incident').sort(byTitle));
    expect(after.map((d) => d.title)).to.include.members(['a', 'zz', 'n']);
  });

  it('keeps a list only until an action changes or the day turns in its zone, and shows either on the next request', async () => {
    // Added at 10:00 in Shanghai, due today there: not overdue until Shanghai's midnight.
    const { body: action } = await t.api.post(`/api/v1/incidents/${key}/actions`).send({ title: 'Alert on decrypt errors', type: 'detect', priority: 'high', dueDate: '2026-11-25' }).expect(201);
    const overdue = async () => (await asLee(`/api/v1/actions?overdue=true&incident=${key}`).expect(200)).body.items.map((a: { key: string }) => a.key);
    expect(await overdue()).to.not.include(action.key);
    t.clock.set('2026-11-25T15:59:00Z');
    expect(await overdue()).to.not.include(action.key);
    t.clock.set('2026-11-25T16:00:00Z');
    expect(await overdue()).to.include(action.key);
    await t.api.patch(`/api/v1/actions/${action.key}`).send({ version: action.version, dueDate: '2026-12-31' }).expect(200);
    expect(await overdue()).to.not.include(action.key);
    t.clock.set('2026-11-25T02:00:00Z');
  });

  describe('across processes', () => {
    let conn2: Connection;
    let other: Services;
    before(async () => {
      // A second process (a worker, a CLI command): its own connection, services and read model.
      conn2 = await connectDb(serverUri(), t.conn.name);
      other = buildServices({ config: t.config, conn: conn2, clock: t.clock, logger: createLogger('silent') });
    });
    after(() => conn2.close());

    it("sees another process's filings, edits and action moves on its next request", async () => {
      expect((await t.api.get('/api/v1/incidents?q=elsewhere').expect(200)).body.total).to.equal(0);
      const filed = await other.incidents.create(createIncidentBody.parse({ ...fixture('tidb-sync'), title: 'filed elsewhere' }), SYSTEM_ACTOR);
      expect((await t.api.get('/api/v1/incidents?q=elsewhere').expect(200)).body.items.map((i: { key: string }) => i.key)).to.deep.equal([filed.key]);
      await other.incidents.patch(filed.key, patchIncidentBody.parse({ version: 0, title: 'edited elsewhere' }), SYSTEM_ACTOR);
      expect((await t.api.get(`/api/v1/incidents/${filed.key}`).expect(200)).body.title).to.equal('edited elsewhere');
      await other.actions.patch(`${key}-A2`, patchActionBody.parse({ version: 0, owner: 'lee@example.com' }), SYSTEM_ACTOR);
      const mine = (await t.api.get('/api/v1/actions?owner=lee@example.com').expect(200)).body.items;
      expect(mine.map((a: { key: string }) => a.key)).to.deep.equal([`${key}-A2`]);
    });

    it('shows a write that lands after a reader saw its announcement, on that reader\'s next request', async () => {
      const threads = async () => (await t.api.get(`/api/v1/incidents/${key}/comments`).expect(200)).body as { id: string; body: string }[];
      const before = (await threads()).length;
      // The other process announces a new comment, and this one reads before the insert lands.
      const id = new Types.ObjectId();
      await other.feed.append('comment', String(id), 0);
      expect(await threads()).to.have.length(before);
      const incident = await other.incidents.find(key);
      await other.models.comments.create({ _id: id, incidentId: incident._id, incidentKey: key, anchor: { section: 'impact' }, author: 'x@example.com', body: 'late', mentions: [], version: 0, createdAt: t.clock.now() });
      expect((await threads()).map((c) => c.body)).to.include('late');
    });

    it('shows the new record when a removed one\'s key is taken again (a filing undone, its keys reused)', async () => {
      const actionKey = `${key}-A3`;
      const titleOf = async () => (await t.api.get(`/api/v1/actions/${actionKey}`).expect(200)).body.title;
      const old = (await other.models.actions.findById(actionKey).lean())!;
      expect(await titleOf()).to.equal(old.title);
      // Another process removes the action and stores a new one under the same key, both at version 0.
      await other.models.actions.deleteOne({ _id: actionKey });
      await other.feed.append('action', actionKey, REMOVED);
      await other.feed.append('action', actionKey, 0);
      await other.models.actions.create({ ...old, title: 'the new A3' });
      expect(await titleOf()).to.equal('the new A3');
    });

    it('repairs what was changed behind the services\' back (by hand in the database) when the job runs', async () => {
      const { body } = await t.api.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'impact' }, body: 'numbers?' }).expect(201);
      const bodyOf = async () => (await t.api.get(`/api/v1/incidents/${key}/comments`).expect(200)).body.find((c: { id: string }) => c.id === body.id).body;
      expect(await bodyOf()).to.equal('numbers?');
      await t.services.models.comments.updateOne({ _id: body.id }, { $set: { body: 'numbers, please' } });
      expect(await bodyOf()).to.equal('numbers?');
      expect(await findJob(t.services, 'repair-read-model')!.run()).to.deep.equal({ announced: 1 });
      expect(await bodyOf()).to.equal('numbers, please');
    });

    it('loads everything again when it slept past the pruned part of the feed', async () => {
      await t.api.get('/api/v1/incidents').expect(200);
      t.clock.advance(3 * 86_400_000);
      // Two filings while this process sleeps; the first one's announcement is pruned (the newest is always kept).
      for (const title of ['asleep one', 'asleep two']) await other.incidents.create(createIncidentBody.parse({ title }), SYSTEM_ACTOR);
      t.clock.advance(2 * 86_400_000);
      expect((await other.feed.prune(86_400_000)).deleted).to.be.greaterThan(0);
      expect((await t.api.get('/api/v1/incidents?q=asleep').expect(200)).body.total).to.equal(2);
    });
  });
});
