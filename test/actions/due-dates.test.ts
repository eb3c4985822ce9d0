import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { addAction, fileIncident, move, resetData } from './helpers.js';

describe('action due dates', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('actions_due_dates');
  });
  after(() => t.close());
  beforeEach(async () => {
    await resetData(t);
    t.clock.set('2026-11-25T02:00:00Z');
  });

  const read = async (key: string) => (await t.api.get(`/api/v1/actions/${key}`).expect(200)).body;

  describe('SLA defaults', () => {
    it("fills the postmortem's actions from the resolution: high 28 days, medium 56", async () => {
      t.clock.set('2023-02-20T02:00:00Z');
      const { body } = await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201);
      // resolved 2023-02-15T15:00 Asia/Shanghai, filed five days later
      expect(body.actions.map((a: { priority: string; dueDate: string; dueDateSource: string }) => [a.priority, a.dueDate, a.dueDateSource])).to.deep.equal([
        ['high', '2023-03-15', 'sla'],
        ['medium', '2023-04-12', 'sla'],
        ['medium', '2023-04-12', 'sla'],
      ]);
      expect(body.actions.some((a: { overdue: boolean }) => a.overdue)).to.equal(false);
    });

    it('counts from the filing day when the incident is older than the SLA, so no action is overdue at birth', async () => {
      // The 2023 incident filed on 2026-11-25: from the resolution every action would be years overdue.
      const { body } = await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201);
      expect(body.actions.map((a: { priority: string; dueDate: string; dueDateSource: string }) => [a.priority, a.dueDate, a.dueDateSource])).to.deep.equal([
        ['high', '2026-12-23', 'sla'],
        ['medium', '2027-01-20', 'sla'],
        ['medium', '2027-01-20', 'sla'],
      ]);
      expect(body.actions.some((a: { overdue: boolean }) => a.overdue)).to.equal(false);
      // Only the priority whose SLA has run out moves: resolved 40 days ago, high (28) counts from today, medium (56) from the resolution.
      const recent = await t.api
        .post('/api/v1/incidents')
        .send({ title: 'Recent', status: 'resolved', window: { startedAt: '2026-10-16T08:00', resolvedAt: '2026-10-16T09:00' }, actions: [{ title: 'a', priority: 'high' }, { title: 'b' }] })
        .expect(201);
      expect(recent.body.actions.map((a: { dueDate: string }) => a.dueDate)).to.deep.equal(['2026-12-23', '2026-12-11']);
    });

    it('counts an action added later from its own creation, in the incident time zone', async () => {
      const incident = await fileIncident(t, { status: 'resolved', window: { startedAt: '2026-10-01T08:00', resolvedAt: '2026-10-01T09:00' } });
      // now is 2026-11-25 10:00 in Shanghai
      expect((await addAction(t, incident, { priority: 'high' })).dueDate).to.equal('2026-12-23');
      expect((await addAction(t, incident)).dueDate).to.equal('2027-01-20');
      expect((await addAction(t, incident, { priority: 'low' })).dueDate).to.equal('2027-02-23');
      const given = await addAction(t, incident, { priority: 'low', dueDate: '2026-12-01' });
      expect(given).to.include({ dueDate: '2026-12-01', dueDateSource: 'given' });
    });

    it('moves a policy due date with the priority, keeps a given one, and refills a cleared one', async () => {
      const incident = await fileIncident(t);
      const policy = await addAction(t, incident, { priority: 'low' });
      const moved = await t.api.patch(`/api/v1/actions/${policy.key}`).send({ version: 0, priority: 'high' }).expect(200);
      expect(moved.body).to.include({ dueDate: '2026-12-23', dueDateSource: 'sla' });
      const given = await addAction(t, incident, { priority: 'low', dueDate: '2027-06-30' });
      const kept = await t.api.patch(`/api/v1/actions/${given.key}`).send({ version: 0, priority: 'high' }).expect(200);
      expect(kept.body).to.include({ dueDate: '2027-06-30', dueDateSource: 'given' });
      const cleared = await t.api.patch(`/api/v1/actions/${given.key}`).send({ version: 1, dueDate: null }).expect(200);
      expect(cleared.body).to.include({ dueDate: '2026-12-23', dueDateSource: 'sla' });
    });

    it('takes the SLA days from configuration', async () => {
      const custom = await createTestContext('actions_due_dates_config', { ACTION_SLA_DAYS_HIGH: '7' });
      try {
        const incident = await fileIncident(custom);
        expect((await addAction(custom, incident, { priority: 'high' })).dueDate).to.equal('2026-12-02');
      } finally {
        await custom.close();
      }
    });
  });

  describe('overdue in the time zone of the action', () => {
    let shanghai: string;
    let newYork: string;
    beforeEach(async () => {
      shanghai = (await addAction(t, await fileIncident(t), { dueDate: '2026-12-01' })).key;
      newYork = (await addAction(t, await fileIncident(t, { timezone: 'America/New_York' }), { dueDate: '2026-12-01' })).key;
    });

    const overdueKeys = async () => (await t.api.get('/api/v1/actions?overdue=true').expect(200)).body.items.map((a: { key: string }) => a.key);
    const onTimeKeys = async () => (await t.api.get('/api/v1/actions?overdue=false').expect(200)).body.items.map((a: { key: string }) => a.key);

    it('turns overdue at midnight after the due date in Shanghai, not in UTC', async () => {
      t.clock.set('2026-12-01T15:59:00Z'); // 23:59 on the due date in Shanghai
      expect((await read(shanghai)).overdue).to.equal(false);
      expect(await overdueKeys()).to.deep.equal([]);
      t.clock.set('2026-12-01T16:00:00Z'); // 00:00 the day after in Shanghai, still 11:00 on the 1st in New York
      expect((await read(shanghai)).overdue).to.equal(true);
      expect((await read(newYork)).overdue).to.equal(false);
      expect(await overdueKeys()).to.deep.equal([shanghai]);
      expect(await onTimeKeys()).to.deep.equal([newYork]);
    });

    it('turns overdue at midnight after the due date in New York', async () => {
      t.clock.set('2026-12-02T04:59:00Z'); // 23:59 on the 1st in New York (UTC−5)
      expect((await read(newYork)).overdue).to.equal(false);
      t.clock.set('2026-12-02T05:00:00Z');
      expect((await read(newYork)).overdue).to.equal(true);
      expect(await overdueKeys()).to.have.members([shanghai, newYork]);
    });

    it('is never overdue once done, verified or declined', async () => {
      t.clock.set('2026-12-05T00:00:00Z');
      await move(t, shanghai, { to: 'done', note: 'fixed', evidence: 'https://git.example.com/mr/1' }).expect(200);
      await move(t, newYork, { to: 'wont_fix', reason: 'Superseded' }).expect(200);
      expect((await read(shanghai)).overdue).to.equal(false);
      expect(await overdueKeys()).to.deep.equal([]);
    });
  });
});
