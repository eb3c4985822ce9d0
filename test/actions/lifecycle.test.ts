import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { addAction, fileIncident, move, resetData, verify } from './helpers.js';

describe('action lifecycle', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('actions_lifecycle');
  });
  after(() => t.close());
  beforeEach(() => resetData(t));

  const read = async (key: string) => (await t.api.get(`/api/v1/actions/${key}`).expect(200)).body;
  const done = { to: 'done', note: 'Alert added', evidence: 'https://git.example.com/ops/alerts/-/merge_requests/42' };

  describe('the issue acceptance: decrypt failure from import to closure', () => {
    it('lists the three open unowned actions, refuses closing, and closes once each is verified with evidence', async () => {
      const imported = await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201);
      const incident = imported.body.key;

      const open = await t.api.get(`/api/v1/actions?incident=${incident}&status=open`).expect(200);
      expect(open.body.total).to.equal(3);
      const keys = open.body.items.map((a: { key: string }) => a.key);
      expect(keys).to.have.members([`${incident}-A1`, `${incident}-A2`, `${incident}-A3`]);
      for (const action of open.body.items) expect(action).to.include({ owner: null, unowned: true, status: 'open' });

      const refused = await t.api.patch(`/api/v1/incidents/${incident}`).send({ version: 0, status: 'closed' }).expect(409);
      expect(refused.body.error.openActions.map((a: { key: string }) => a.key)).to.deep.equal(keys.slice().sort());

      for (const key of keys) {
        await move(t, key, { to: 'in_progress' }).expect(200);
        await move(t, key, { to: 'done', note: 'Shipped', evidence: [`https://git.example.com/ark-crypto/-/merge_requests/${key.at(-1)}`] }).expect(200);
        const verified = await verify(t, key, { note: 'Checked in production' });
        expect(verified.body).to.include({ status: 'verified' });
        expect(verified.body.evidence).to.have.length(1);
      }
      const still = await t.api.get(`/api/v1/actions?incident=${incident}&status=open`).expect(200);
      expect(still.body.total).to.equal(0);

      const closed = await t.api.patch(`/api/v1/incidents/${incident}`).send({ version: 0, status: 'closed' }).expect(200);
      expect(closed.body.status).to.equal('closed');
    });
  });

  describe('the happy path', () => {
    it('records the completion note, evidence, verifier and recheck date', async () => {
      const incident = await fileIncident(t);
      const { key } = await addAction(t, incident);
      expect((await move(t, key, { to: 'in_progress' }).expect(200)).body.status).to.equal('in_progress');
      const d = await move(t, key, done).expect(200);
      expect(d.body).to.include({ status: 'done', completionNote: 'Alert added', doneAt: t.clock.now().toISOString() });
      expect(d.body.evidence).to.deep.equal([done.evidence]);
      t.clock.advance(3_600_000);
      const v = await verify(t, key, { recheckOn: '2027-03-01', evidence: ['DR drill 2026-11 passed'] });
      expect(v.body).to.include({ status: 'verified', verifiedBy: 'verifier@example.com', verifiedAt: t.clock.now().toISOString(), recheckOn: '2027-03-01' });
      expect(v.body.evidence).to.deep.equal([done.evidence, 'DR drill 2026-11 passed']);
      expect(await read(key)).to.include({ status: 'verified', version: 3 });
    });
  });

  describe('rules', () => {
    it('refuses moves outside the lifecycle with 409, naming the rule and the allowed moves', async () => {
      const { key } = await addAction(t, await fileIncident(t));
      const skip = await move(t, key, { to: 'verified' }).expect(409);
      expect(skip.body.error).to.include({ rule: 'allowed-transitions', from: 'open', to: 'verified' });
      expect(skip.body.error.allowed).to.deep.equal(['in_progress', 'blocked', 'done', 'wont_fix']);
      await move(t, key, { to: 'open' }).expect(409);
      await move(t, key, done).expect(200);
      const blockDone = await move(t, key, { to: 'blocked', reason: 'x' }).expect(409);
      expect(blockDone.body.error.allowed).to.deep.equal(['verified', 'open', 'in_progress']);
      expect((await read(key)).status).to.equal('done');
    });

    it('needs a completion note and evidence for done, and changes nothing without them', async () => {
      const { key } = await addAction(t, await fileIncident(t));
      const res = await move(t, key, { to: 'done' }).expect(422);
      expect(res.body.error.rule).to.equal('done-needs-note-and-evidence');
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).to.deep.equal(['note', 'evidence']);
      await move(t, key, { to: 'done', note: 'fixed' }).expect(422);
      await move(t, key, { to: 'done', note: 'fixed', evidence: [] }).expect(400);
      expect(await read(key)).to.include({ status: 'open', version: 0 });
      expect((await t.api.get(`/api/v1/actions/${key}/history`)).body).to.have.length(1);
    });

    it('needs a reason to block, shows it while blocked and drops it when work resumes', async () => {
      const { key } = await addAction(t, await fileIncident(t));
      expect((await move(t, key, { to: 'blocked' }).expect(422)).body.error).to.include({ rule: 'blocked-needs-reason' });
      const blocked = await move(t, key, { to: 'blocked', reason: 'Waiting for the DBA team' }).expect(200);
      expect(blocked.body).to.include({ status: 'blocked', statusReason: 'Waiting for the DBA team' });
      const resumed = await move(t, key, { to: 'in_progress' }).expect(200);
      expect(resumed.body.statusReason).to.equal(undefined);
    });

    it('needs a reason for wont_fix and accepts it only from the incident owner or an approver', async () => {
      const incident = await fileIncident(t, { owner: 'lead@example.com' });
      const { key } = await addAction(t, incident, { owner: 'dev@example.com' });
      expect((await move(t, key, { to: 'wont_fix' }).expect(422)).body.error.rule).to.equal('wont-fix-needs-reason');
      const declined = { to: 'wont_fix', reason: 'Service is being retired' };
      const dev = await t.as('editor', 'dev@example.com');
      const refused = await dev.post(`/api/v1/actions/${key}/transitions`).send(declined).expect(403);
      expect(refused.body.error.rule).to.equal('wont-fix-needs-approver');
      expect(await read(key)).to.include({ status: 'open' });
      const lead = await t.as('editor', 'lead@example.com');
      const accepted = await lead.post(`/api/v1/actions/${key}/transitions`).send(declined).expect(200);
      expect(accepted.body).to.include({ status: 'wont_fix', statusReason: 'Service is being retired' });

      const other = await addAction(t, incident);
      const reviewer = await t.as('reviewer', 'approver@example.com');
      expect((await reviewer.post(`/api/v1/actions/${other.key}/transitions`).send(declined).expect(200)).body.status).to.equal('wont_fix');
    });

    it('refuses verification by the action owner and records who verified', async () => {
      const { key } = await addAction(t, await fileIncident(t), { owner: 'dev@example.com' });
      await move(t, key, done).expect(200);
      const owner = await t.as('editor', 'dev@example.com');
      const refused = await owner.post(`/api/v1/actions/${key}/transitions`).send({ to: 'verified' }).expect(422);
      expect(refused.body.error.rule).to.equal('verifier-not-owner');
      const sre = await t.as('reviewer', 'sre@example.com');
      const verified = await sre.post(`/api/v1/actions/${key}/transitions`).send({ to: 'verified' }).expect(200);
      expect(verified.body).to.include({ status: 'verified', verifiedBy: 'sre@example.com' });
    });

    it('refuses verification by whoever marked the action done, with the rule and the person named', async () => {
      const { key } = await addAction(t, await fileIncident(t), { owner: 'dev@example.com' });
      const lead = await t.as('editor', 'lead@example.com');
      await lead.post(`/api/v1/actions/${key}/transitions`).send(done).expect(200);
      const refused = await lead.post(`/api/v1/actions/${key}/transitions`).send({ to: 'verified' }).expect(422);
      expect(refused.body.error.rule).to.equal('verifier-not-completer');
      expect(refused.body.error.message).to.contain('lead@example.com');
      expect(await read(key)).to.include({ status: 'done' });
      const sre = await t.as('reviewer', 'sre@example.com');
      expect((await sre.post(`/api/v1/actions/${key}/transitions`).send({ to: 'verified' }).expect(200)).body.verifiedBy).to.equal('sre@example.com');
    });

    it('lets viewers and reviewers move only the actions they own', async () => {
      const incident = await fileIncident(t);
      const mine = await addAction(t, incident, { owner: 'viewer@example.com' });
      const theirs = await addAction(t, incident, { owner: 'someone@example.com' });
      const viewer = await t.as('viewer');
      await viewer.post(`/api/v1/actions/${mine.key}/transitions`).send({ to: 'in_progress' }).expect(200);
      const refused = await viewer.post(`/api/v1/actions/${theirs.key}/transitions`).send({ to: 'in_progress' }).expect(403);
      expect(refused.body.error.rule).to.equal('own-actions-only');
      const reviewer = await t.as('reviewer');
      await reviewer.post(`/api/v1/actions/${theirs.key}/transitions`).send({ to: 'in_progress' }).expect(403);
      expect(await read(theirs.key)).to.include({ status: 'open', version: 0 });
    });

    it('takes a recheck date only on verification, and only after today in the action zone', async () => {
      const { key } = await addAction(t, await fileIncident(t));
      const misplaced = await move(t, key, { ...done, recheckOn: '2027-01-01' }).expect(400);
      expect(misplaced.body.error.fields).to.deep.equal([{ field: 'recheckOn', message: 'only with to=verified' }]);
      await move(t, key, done).expect(200);
      // 2026-11-25T02:00Z is already the 25th in Shanghai
      const today = await verify(t, key, { recheckOn: '2026-11-25' }, 422);
      expect(today.body.error).to.include({ rule: 'recheck-in-future' });
      await verify(t, key, { recheckOn: '2026-11-26' });
    });

    it('reopens done or verified work only with a reason, clearing the old completion', async () => {
      const incident = await fileIncident(t);
      const later = await fileIncident(t, { title: 'Same cause again' });
      const { key } = await addAction(t, incident);
      await move(t, key, done).expect(200);
      await verify(t, key);
      expect((await move(t, key, { to: 'open' }).expect(422)).body.error.rule).to.equal('reopen-needs-reason');
      const unknown = await move(t, key, { to: 'open', reason: 'Came back', recurredIn: 'INC-2026-0999' }).expect(422);
      expect(unknown.body.error.fields[0].field).to.equal('recurredIn');
      const reopened = await move(t, key, { to: 'open', reason: 'Came back', recurredIn: later }).expect(200);
      expect(reopened.body).to.include({ status: 'open', statusReason: 'Came back', recurring: true, recurredIn: later });
      for (const gone of ['completionNote', 'evidence', 'doneAt', 'verifiedBy', 'verifiedAt']) expect(reopened.body).not.to.have.property(gone);
      await move(t, key, { to: 'in_progress' }).expect(200);
      await move(t, key, done).expect(200);
      expect((await move(t, key, { to: 'in_progress', reason: 'Alert is noisy' }).expect(200)).body.status).to.equal('in_progress');
    });

    it('does not reopen an action, or add one, while its incident is closed', async () => {
      const incident = await fileIncident(t, { status: 'resolved', window: { startedAt: '2026-11-20T10:00', resolvedAt: '2026-11-20T12:00' } });
      const { key } = await addAction(t, incident);
      await move(t, key, done).expect(200);
      await t.api.patch(`/api/v1/incidents/${incident}`).send({ version: 0, status: 'closed' }).expect(200);
      const reopen = await move(t, key, { to: 'open', reason: 'Came back' }).expect(409);
      expect(reopen.body.error.rule).to.equal('incident-closed');
      const add = await t.api.post(`/api/v1/incidents/${incident}/actions`).send({ title: 'One more' }).expect(409);
      expect(add.body.error.rule).to.equal('incident-closed');
      expect((await read(key)).status).to.equal('done');
    });
  });

  describe('requests', () => {
    it('answers 409 to a stale version and lets exactly one of two concurrent moves win', async () => {
      const { key } = await addAction(t, await fileIncident(t));
      await move(t, key, { to: 'in_progress' }).expect(200);
      const stale = await move(t, key, { to: 'blocked', reason: 'x', version: 0 }).expect(409);
      expect(stale.body.error.currentVersion).to.equal(1);
      const [a, b] = await Promise.all([move(t, key, { ...done, version: 1 }), move(t, key, { to: 'blocked', reason: 'vendor', version: 1 })]);
      expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
      const history = (await t.api.get(`/api/v1/actions/${key}/history`)).body.filter((h: { field: string }) => h.field === 'status');
      expect(history).to.have.length(2);
    });

    it('refuses unknown fields and statuses with 400 by name, and unknown actions with 404', async () => {
      const { key } = await addAction(t, await fileIncident(t));
      const res = await move(t, key, { to: 'finished', colour: 'red' }).expect(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field).sort()).to.deep.equal(['colour', 'to']);
      await move(t, `${key}9`, { to: 'in_progress' }).expect(404);
      await move(t, 'not-a-key', { to: 'in_progress' }).expect(404);
    });
  });
});
