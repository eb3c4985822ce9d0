import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { createIncidentBody } from '../../src/incidents/schemas.js';
import { createTestContext, type TestContext } from '../support/context.js';

const DAY = 86_400_000;

describe('one-click links from emails', function () {
  this.timeout(60_000);
  let ctx: TestContext;
  let key: string;
  const path = async (op: 'done' | 'snooze' | 'due', recipient = 'alice@example.com') => new URL(await ctx.services.links.url(key, recipient, op)).pathname;
  const action = () => ctx.services.actions.find(key);

  beforeEach(async () => {
    ctx = await createTestContext('reminders_links', { DEFAULT_LOCALE: 'en' });
    ctx.clock.set('2026-12-01T02:00:00Z');
    const incident = await ctx.services.incidents.create(
      createIncidentBody.parse({ title: 'Decrypt failures', owner: 'lead@example.com', actions: [{ title: 'Validate decrypted fields', owner: 'alice@example.com', dueDate: '2026-12-05' }] }),
      SYSTEM_ACTOR,
    );
    key = `${incident.key}-A1`;
  });
  afterEach(() => ctx.close());

  it('shows a confirmation form on GET and changes nothing (mail scanners follow links)', async () => {
    const res = await ctx.api.get(await path('done')).expect(200);
    expect(res.text).to.include('<form method="post">').and.include('name="note"').and.include('name="evidence"');
    expect((await action()).status).to.equal('open');
  });

  it('marks done on POST with a note and evidence, once; the history names the recipient', async () => {
    const p = await path('done');
    const missing = await ctx.api.post(p).type('form').send({ note: 'Added checks' }).expect(400);
    expect(missing.text).to.include('evidence');
    expect((await action()).status).to.equal('open');
    // The refused form did not use up the link.
    await ctx.api.post(p).type('form').send({ note: 'Added format checks', evidence: 'https://git.example.com/mr/7' }).expect(200);
    const done = await action();
    expect(done).to.include({ status: 'done', completionNote: 'Added format checks' });
    expect(done.history.find((h) => h.field === 'status')).to.include({ by: 'alice@example.com', from: 'open', to: 'done' });
  });

  it('refuses a reused link and changes nothing the second time', async () => {
    const p = await path('snooze');
    await ctx.api.post(p).type('form').send({}).expect(200);
    expect((await action()).snoozedUntil).to.equal('2026-12-08');
    const version = (await action()).version;
    const again = await ctx.api.post(p).type('form').send({}).expect(410);
    expect(again.text).to.include('already been used');
    await ctx.api.get(p).expect(410);
    expect((await action()).version).to.equal(version);
  });

  it('refuses a tampered link and one for another recipient', async () => {
    const p = await path('due');
    const [payload, sig] = p.slice('/links/'.length).split('.');
    const forged = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    forged.r = 'mallory@example.com';
    const tampered = `/links/${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`;
    expect((await ctx.api.post(tampered).type('form').send({ dueDate: '2027-01-31' }).expect(400)).text).to.include('not valid');
    await ctx.api.post(p.slice(0, -2) + 'xx').type('form').send({ dueDate: '2027-01-31' }).expect(400);
    await ctx.api.get('/links/garbage').expect(400);
    // Genuine, but the action is not Bob's.
    await ctx.api.post(await path('due', 'bob@example.com')).type('form').send({ dueDate: '2027-01-31' }).expect(403);
    expect((await action()).dueDate).to.equal('2026-12-05');
  });

  it('refuses an expired link', async () => {
    const p = await path('due');
    ctx.clock.advance(ctx.config.LINK_TTL_DAYS * DAY + 1000);
    expect((await ctx.api.post(p).type('form').send({ dueDate: '2027-01-31' }).expect(410)).text).to.include('expired');
    expect((await action()).dueDate).to.equal('2026-12-05');
  });

  it('sets a new due date, refusing one in the past', async () => {
    const p = await path('due');
    await ctx.api.post(p).type('form').send({ dueDate: '2026-11-01' }).expect(400);
    await ctx.api.post(p).type('form').send({ dueDate: 'soon' }).expect(400);
    await ctx.api.post(p).type('form').send({ dueDate: '2027-01-31' }).expect(200);
    expect(await action()).to.include({ dueDate: '2027-01-31', dueDateSource: 'given' });
  });

  it("speaks the recipient's locale: theirs from their profile, else DEFAULT_LOCALE, and DEFAULT_LOCALE for a forged link", async () => {
    const p = await path('due');
    // Alice has no profile yet: this test's DEFAULT_LOCALE, en.
    expect((await ctx.api.get(p).expect(200)).text).to.include('<html lang="en">').and.include('Choose a new due date (now 2026-12-05)');
    await ctx.services.users.create({ email: 'alice@example.com', name: 'Alice', role: 'editor', locale: 'zh-CN' }, SYSTEM_ACTOR);
    const form = await ctx.api.get(p).expect(200);
    expect(form.text).to.include('<html lang="zh-CN">').and.include('选择新的截止日期 (当前 2026-12-05)').and.include('设置截止日期').and.not.include('Set due date');
    await ctx.api.post(p).type('form').send({ dueDate: '2027-01-31' }).expect(200);
    expect((await ctx.api.get(p).expect(410)).text).to.include('没有做任何修改');
    const expired = await path('snooze');
    ctx.clock.advance(ctx.config.LINK_TTL_DAYS * DAY + 1000);
    expect((await ctx.api.get(expired).expect(410)).text).to.include('没有做任何修改');
    expect((await ctx.api.get('/links/garbage').expect(400)).text).to.include('Nothing was changed');
  });

  it('refuses a link to an action that is already closed', async () => {
    const p = await path('snooze');
    await ctx.services.actions.transition(key, { to: 'done', note: 'n', evidence: ['e'] }, { email: 'alice@example.com' });
    expect((await ctx.api.get(p).expect(409)).text).to.include('already done');
  });

  it('snoozes through the API: the owner is not reminded until the date, escalation is not quieted', async () => {
    const alice = await ctx.as('viewer', 'alice@example.com');
    const other = await ctx.as('viewer', 'carol@example.com');
    await other.post(`/api/v1/actions/${key}/snooze`).send({ until: '2026-12-20' }).expect(403);
    await alice.post(`/api/v1/actions/${key}/snooze`).send({ until: '2026-11-30' }).expect(422);
    await alice.post(`/api/v1/actions/${key}/snooze`).send({ until: 'next week' }).expect(400);
    const res = await alice.post(`/api/v1/actions/${key}/snooze`).send({ until: '2026-12-20' }).expect(200);
    expect(res.body.snoozedUntil).to.equal('2026-12-20');
    const kinds = new Set<string>();
    for (let t = Date.parse('2026-12-01T02:00:00Z'); t <= Date.parse('2026-12-31T02:00:00Z'); t += DAY) {
      ctx.clock.set(new Date(t));
      await ctx.services.reminders.raiseDue();
    }
    // Reminders only: the notice that alice was given the action is not one.
    for (const n of await ctx.services.models.notifications.find({ kind: { $ne: 'assigned' } }).lean()) kinds.add(`${n.recipient} ${n.kind} ${n.key.split(':')[3]}`);
    // Due 12-05: the 12-02, 12-05, 12-12 and 12-19 reminders fall in the snooze; 12-26 (21 days) does not.
    expect([...kinds].filter((k) => k.startsWith('alice')).sort()).to.deep.equal(['alice@example.com overdue 2026-12-26']);
    expect([...kinds].filter((k) => k.startsWith('lead')).sort()).to.deep.equal(['lead@example.com escalation 2026-12-19', 'lead@example.com escalation 2026-12-26']);
  });
});
