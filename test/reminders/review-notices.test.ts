import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import type supertest from 'supertest';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { connectDb } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { queued } from '../../src/reminders/notifications.js';
import { buildServices, type Services } from '../../src/services.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { serverUri } from '../support/hooks.js';
import { startSmtp, type TestSmtp } from './smtp.js';

const MINUTE = 60_000;

/**
 * Review requests, decisions, mentions and replies by email within the minute. The clock starts at
 * 2026-11-25 02:00Z (10:00 in Shanghai, the default zone; zh-CN is the default locale).
 */
describe('review notices', function () {
  this.timeout(120_000);
  let smtp: TestSmtp;
  let ctx: TestContext;
  let sre: supertest.Agent;
  let alice: supertest.Agent;
  let bob: supertest.Agent;
  let key: string;

  const to = (email: string): ParsedMail[] => smtp.received.filter((m) => (m.to as { text: string }).text === email);
  const run = async (s: Services = ctx.services) => {
    const r = await s.reviewNotices.send();
    await s.outbox.deliver();
    return r.notices;
  };
  const mention = (body: string) => alice.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'cause' }, body }).expect(201);

  beforeEach(async function () {
    smtp = await startSmtp();
    ctx = await createTestContext(`review_notices_${this.currentTest!.title.slice(0, 24)}`, { SMTP_URL: smtp.url });
    const { users } = ctx.services;
    await users.create({ email: 'sre@example.com', name: 'Sam', role: 'editor' }, SYSTEM_ACTOR);
    // Alice reads English in Berlin; Bob has no preferences (Shanghai, zh-CN).
    await users.create({ email: 'alice@example.com', name: 'Alice', role: 'reviewer', timezone: 'Europe/Berlin', locale: 'en' }, SYSTEM_ACTOR);
    await users.create({ email: 'bob@example.com', name: 'Bob', role: 'reviewer' }, SYSTEM_ACTOR);
    sre = await ctx.as('editor', 'sre@example.com');
    alice = await ctx.as('reviewer', 'alice@example.com');
    bob = await ctx.as('reviewer', 'bob@example.com');
    const decrypt = fixture('decrypt-failure');
    const actions = [{ ...decrypt.actions[0], owner: 'sre@example.com', dueDate: '2026-11-29' }, ...decrypt.actions.slice(1)];
    key = (await sre.post('/api/v1/incidents').send({ ...decrypt, actions }).expect(201)).body.key;
  });
  afterEach(async () => {
    await ctx.close();
    await smtp.stop();
  });

  it('brings a review request to both reviewers in the next run, one email each with the link', async () => {
    await sre.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['alice@example.com', 'bob@example.com'] }).expect(200);
    ctx.clock.advance(MINUTE);
    expect(await run()).to.equal(2);
    const link = `${ctx.config.BASE_URL}/incidents/${key}`;
    for (const who of ['alice@example.com', 'bob@example.com']) {
      const mails = to(who);
      expect(mails, who).to.have.length(1);
      // Each in their own language: Alice reads English, Bob Chinese (the defaults).
      expect(mails[0]!.text).to.include(who.startsWith('alice') ? `Sam asked you to review ${key}` : `Sam 请你评审 ${key}`).and.include(link);
      expect(mails[0]!.html).to.include(`href="${link}"`);
    }
    // Bob answers; the author hears of it in the next run, in Chinese (defaults).
    await bob.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'request_changes', note: 'Name the rules' }).expect(200);
    ctx.clock.advance(MINUTE);
    expect(await run()).to.equal(1);
    expect(to('sre@example.com')).to.have.length(1);
    expect(to('sre@example.com')[0]!.text).to.include('评审结论').and.include(`Bob 要求修改 ${key}`).and.include(link);
    expect(to('sre@example.com')[0]!.text).not.to.include('requested changes');
  });

  it('writes to a person with locale en in English and in their time zone, to others in the defaults', async () => {
    await sre.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['alice@example.com', 'bob@example.com'] }).expect(200);
    ctx.clock.advance(MINUTE);
    await run();
    const [a] = to('alice@example.com');
    expect(a!.subject).to.match(new RegExp(`^Debrief: Sam asked you to review ${key} `));
    expect(a!.text).to.include('REVIEW REQUESTED').and.include('(2026-11-25 03:00 ');
    expect(a!.html).to.include('<html lang="en">').and.include('Review requested');
    const [b] = to('bob@example.com');
    expect(b!.subject).to.equal('Debrief：1 条新动态');
    expect(b!.text).to.include('请你评审').and.include('(2026-11-25 10:00 ');
    expect(b!.html).to.include('<html lang="zh-CN">');
  });

  it('sends three mentions within a minute as one email, which the next digest does not repeat', async () => {
    for (const n of [1, 2, 3]) {
      await mention(`Point ${n}: @sre@example.com which firewall rules?`);
      ctx.clock.advance(15_000);
    }
    ctx.clock.set('2026-11-25T02:01:00Z');
    expect(await run()).to.equal(1);
    expect(await run()).to.equal(0);
    const mails = to('sre@example.com');
    expect(mails).to.have.length(1);
    const items = mails[0]!.text!.split('\n').filter((l) => l.startsWith('- '));
    expect(items).to.have.length(3);
    [1, 2, 3].forEach((n, i) => expect(items[i]).to.include(`Alice 在 ${key} 中提到了你：Point ${n}`));
    expect(mails[0]!.subject).to.equal('Debrief：3 条新动态');
    expect(mails[0]!.text).to.include(`${ctx.config.BASE_URL}/incidents/${key}#comment-`);
    const notes = await ctx.services.models.notifications.find({ kind: 'mention' }).sort({ _id: 1 }).lean();
    const reports = await ctx.services.models.notificationReports.find({ _id: { $in: notes.map((n) => String(n._id)) } }).lean();
    expect(reports).to.have.length(3);
    expect(new Set(reports.map((r) => r.digestKey))).to.deep.equal(new Set([`notices:sre@example.com:${String(notes[0]!._id)}`]));

    // Next morning at 09:00 in Shanghai: the reminder for sre's action goes in the digest, the mentions do not.
    ctx.clock.set('2026-11-26T01:00:00Z');
    await ctx.services.reminders.raiseDue();
    expect(await run()).to.equal(0);
    expect(await ctx.services.reminders.sendDigests()).to.deep.equal({ digests: 1 });
    await ctx.services.outbox.deliver();
    const digest = to('sre@example.com')[1]!;
    expect(digest.subject).to.equal('Debrief 2026-11-26：本周到期 1 项');
    expect(digest.text).to.include(`${key}-A1`).and.not.include('Point 1').and.not.include('mentioned you');
  });

  it('sends once when the job runs twice or on two workers at once, or after a run stopped before marking', async () => {
    const conn2 = await connectDb(serverUri(), ctx.conn.name);
    const other = buildServices({ config: ctx.config, conn: conn2, clock: ctx.clock, logger: createLogger('silent') });
    try {
      await sre.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['alice@example.com', 'bob@example.com'] }).expect(200);
      await mention('@sre@example.com one');
      await mention('@sre@example.com two');
      ctx.clock.advance(MINUTE);
      const [a, b] = await Promise.all([ctx.services.reviewNotices.send(), other.reviewNotices.send()]);
      expect(a.notices + b.notices).to.equal(3);
      const again = await Promise.all([ctx.services.reviewNotices.send(), other.reviewNotices.send()]);
      expect(again.map((r) => r.notices)).to.deep.equal([0, 0]);
      await Promise.all([ctx.services.outbox.deliver(), other.outbox.deliver()]);
      expect(smtp.received.map((m) => (m.to as { text: string }).text).sort()).to.deep.equal(['alice@example.com', 'bob@example.com', 'sre@example.com']);
      expect(to('sre@example.com')[0]!.text!.split('\n').filter((l) => l.startsWith('- '))).to.have.length(2);

      // A worker enqueued the notice and stopped before marking the notification: the next run marks it, sends nothing new.
      await mention('@sre@example.com three');
      ctx.clock.advance(MINUTE);
      expect(await run()).to.equal(1);
      const { notifications, notificationReports, notificationQueue } = ctx.services.models;
      const stored = (await notifications.findOne({ text: /three/ }).lean())!;
      const three = String(stored._id);
      const report = (await notificationReports.findById(three).lean())!;
      // As the run that stopped left it: the notification still queued, its report not written.
      await notificationReports.deleteOne({ _id: three });
      await notificationQueue.create(queued(stored));
      ctx.clock.advance(MINUTE);
      expect(await run(other)).to.equal(0);
      expect((await notificationReports.findById(three).lean())!.digestKey).to.equal(report.digestKey);
      expect(await notificationQueue.findById(stored.key).lean()).to.equal(null);
      expect(to('sre@example.com')).to.have.length(2);
      expect(smtp.received).to.have.length(4);
    } finally {
      await conn2.close();
    }
  });

  it('quotes the note to reviewers and the decision note, each under the recipient’s own language', async () => {
    await sre.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['alice@example.com', 'bob@example.com'], note: 'Look at the firewall rules first' }).expect(200);
    ctx.clock.advance(MINUTE);
    await run();
    expect(to('alice@example.com')[0]!.text).to.include('Note to reviewers: Look at the firewall rules first');
    expect(to('bob@example.com')[0]!.text).to.include('给评审人的说明：Look at the firewall rules first');
    expect(to('bob@example.com')[0]!.html).to.include('给评审人的说明：Look at the firewall rules first');
    await bob.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'request_changes', note: '写明缺了哪些规则' }).expect(200);
    ctx.clock.advance(MINUTE);
    await run();
    const [notice] = to('sre@example.com');
    expect(notice!.text).to.include(`Bob 要求修改 ${key}`).and.include('意见：写明缺了哪些规则');
    expect(notice!.html).to.include('意见：写明缺了哪些规则');
  });

  it('tells a person given an action, and one it is reassigned to, who gave it, in their own language', async () => {
    const created = (await sre.post(`/api/v1/incidents/${key}/actions`).send({ title: 'Add a rule check', owner: 'alice@example.com' }).expect(201)).body;
    ctx.clock.advance(MINUTE);
    await run();
    expect(to('alice@example.com')[0]!.text).to.include(`Sam gave you ${created.key} Add a rule check`);
    await sre.patch(`/api/v1/actions/${created.key}`).send({ version: created.version, owner: 'bob@example.com' }).expect(200);
    ctx.clock.advance(MINUTE);
    await run();
    const [bobs] = to('bob@example.com');
    expect(bobs!.text).to.include(`Sam 把 ${created.key} Add a rule check 交给了你`).and.not.include('gave you');
  });
});
