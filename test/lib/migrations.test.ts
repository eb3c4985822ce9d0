import { expect } from 'chai';
import { Types } from 'mongoose';
import supertest from 'supertest';
import { hashSecret } from '../../src/users/secrets.js';
import { migrate } from '../../src/lib/migrations.js';
import { MIGRATIONS } from '../../src/migrations.js';
import { syncIndexes } from '../../src/services.js';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

describe('data stored by earlier versions', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('migrations');
  });
  after(() => t.close());

  it('is found again after start-up gives actions and tokens their _id keys, and the old key records are dropped', async () => {
    const { body: incident } = await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201);
    const db = t.conn.db!;
    // Rewrite what was filed the way the previous version stored it: ObjectId _ids, the key or hash as a field.
    const actions = db.collection<Record<string, any>>('actions');
    for (const a of await actions.find({}).toArray()) {
      await actions.deleteOne({ _id: a._id });
      await actions.insertOne({ ...a, _id: new Types.ObjectId() as never });
    }
    const token = 'dbr_legacy-token-of-an-earlier-version';
    const user = await t.services.users.find('admin@example.com');
    await db.collection('credentials').insertOne({ _id: new Types.ObjectId() as never, kind: 'api', hash: hashSecret(token), userId: user._id, name: 'old', createdAt: new Date() });
    // Keys were claimed in a collection of their own.
    await db.collection('incidentkeys').insertOne({ _id: incident.key as never, incidentId: new Types.ObjectId(incident.id) });
    // A reminder already reported in a digest, marked on itself as before.
    const reminder = { _id: new Types.ObjectId(), key: `reminder:${incident.key}-A1:overdue:2023-03-01:admin@example.com`, recipient: 'admin@example.com', kind: 'overdue', actionKey: `${incident.key}-A1`, dueAt: new Date('2023-03-01T00:00:00Z'), createdAt: new Date('2023-03-01T00:00:00Z') };
    await db.collection('notifications').insertOne({ ...reminder, digestKey: 'digest:admin@example.com:2023-03-01' });
    // And one not yet reported, found then by reading every notification: it is queued for the next digest.
    const unreported = { ...reminder, _id: new Types.ObjectId(), key: `reminder:${incident.key}-A2:overdue:2023-03-01:admin@example.com`, actionKey: `${incident.key}-A2` };
    await db.collection('notifications').insertOne(unreported);
    // A one-click link used before, claimed under its key as a field.
    await db.collection('claims').insertOne({ _id: new Types.ObjectId() as never, key: 'link:legacy-link', by: 'admin@example.com', at: new Date() });
    await db.collection('migrations').deleteMany({});

    await syncIndexes(t.services);
    expect(await t.services.claims.taken('link:legacy-link')).to.equal(true);
    expect(await t.services.claims.claim('link:legacy-link', 'admin@example.com', new Date())).to.equal(false);
    await t.services.mirror.reload();
    expect(await db.listCollections({ name: 'incidentkeys' }).toArray()).to.deep.equal([]);

    const read = await supertest(t.app).get(`/api/v1/incidents/${incident.key}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(read.body.actions.map((a: { key: string }) => a.key)).to.deep.equal([1, 2, 3].map((n) => `${incident.key}-A${n}`));
    expect(read.body.actions[0].id).to.equal(`${incident.key}-A1`);
    await t.api.patch(`/api/v1/actions/${incident.key}-A1`).send({ version: 0, owner: 'admin@example.com' }).expect(200);
    // The reported reminder stays reported: no digest reports it again.
    expect(((await t.services.notifications.pending(t.clock.now(), 'digest')).get('admin@example.com') ?? []).map((n) => [String(n._id), n.key])).to.deep.equal([[String(unreported._id), unreported.key]]);
    const tokens = (await supertest(t.app).get('/api/v1/me/tokens').set('Authorization', `Bearer ${token}`).expect(200)).body;
    expect(tokens.map((x: { name: string }) => x.name)).to.include('old');
    // Run again (a start-up after a stop halfway): nothing moves twice.
    await db.collection('migrations').deleteMany({});
    await syncIndexes(t.services);
    expect(await db.collection('actions').countDocuments()).to.equal(3);
  });

  /** The real migrations, noting each run. */
  const counted = (runs: string[]) => MIGRATIONS.map((m) => ({ ...m, run: async (conn: Parameters<typeof m.run>[0]) => (runs.push(m.name), m.run(conn)) }));

  it('runs each migration once when two processes start together', async () => {
    await t.conn.db!.collection('migrations').deleteMany({});
    const runs: string[] = [];
    const [here, there] = await Promise.all([migrate(t.conn, counted(runs)), inAnotherProcess(t, (other) => migrate(other.conn, counted(runs)))]);
    expect(runs).to.deep.equal(MIGRATIONS.map((m) => m.name));
    expect([...here, ...there].sort()).to.deep.equal(MIGRATIONS.map((m) => m.name).sort());
    // The claim is given back: a later start runs nothing and does not wait.
    expect(await migrate(t.conn, counted(runs))).to.deep.equal([]);
    expect(await t.conn.db!.collection('migrations').countDocuments({ _id: 'claim:running' as never })).to.equal(0);
  });

  it('takes over the claim of a process that stopped while migrating', async () => {
    const db = t.conn.db!;
    await db.collection('migrations').deleteMany({});
    await db.collection('migrations').insertOne({ _id: 'claim:running' as never, by: 'a stopped process', at: new Date(Date.now() - 60_000) });
    const runs: string[] = [];
    expect(await migrate(t.conn, counted(runs))).to.deep.equal(MIGRATIONS.map((m) => m.name));
    expect(runs).to.have.length(MIGRATIONS.length);
  });
});
