import { expect } from 'chai';
import { connectDb } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildServices, type Services } from '../../src/services.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { serverUri } from '../support/hooks.js';
import { startSmtp, type TestSmtp } from './smtp.js';

const MINUTE = 60_000;
const message = (i: number) => ({ dedupeKey: `test:${i}`, kind: 'test', to: `p${i % 3}@example.com`, subject: `message ${i}`, html: `<p>${i}</p>`, text: String(i) });
const subjects = (smtp: TestSmtp) => smtp.received.map((m) => m.subject).sort();

describe('outbox delivery', function () {
  this.timeout(120_000);
  let smtp: TestSmtp;
  let ctx: TestContext;

  beforeEach(async function () {
    smtp = await startSmtp();
    ctx = await createTestContext(`reminders_delivery_${this.currentTest!.title.slice(0, 20)}`, { SMTP_URL: smtp.url, OUTBOX_MAX_ATTEMPTS: '10' });
  });
  afterEach(async () => {
    await ctx.close();
    await smtp.stop();
  });

  it('keeps one message per dedupe key however often it is enqueued', async () => {
    expect(await ctx.services.outbox.enqueue(message(1))).to.equal(true);
    expect(await ctx.services.outbox.enqueue(message(1))).to.equal(false);
    await ctx.services.outbox.deliver();
    await ctx.services.outbox.deliver();
    expect(subjects(smtp)).to.deep.equal(['message 1']);
  });

  it('delivers each message once with two workers running at the same time', async () => {
    // A second worker process: its own connection and services (and so its own claims identity).
    const conn2 = await connectDb(serverUri(), ctx.conn.name);
    const other: Services = buildServices({ config: ctx.config, conn: conn2, clock: ctx.clock, logger: createLogger('silent') });
    try {
      for (let i = 0; i < 30; i++) await ctx.services.outbox.enqueue(message(i));
      const [a, b] = await Promise.all([ctx.services.outbox.deliver(), other.outbox.deliver()]);
      expect(a.sent + b.sent).to.equal(30);
      expect(smtp.received).to.have.length(30);
      expect(new Set(subjects(smtp)).size).to.equal(30);
      // And again, now that everything is sent: nothing more goes out.
      await Promise.all([ctx.services.outbox.deliver(), other.outbox.deliver()]);
      expect(smtp.received).to.have.length(30);
    } finally {
      await conn2.close();
    }
  });

  it('delivers everything once after SMTP was down for an hour, backing off meanwhile', async () => {
    await smtp.stop();
    for (let i = 0; i < 5; i++) await ctx.services.outbox.enqueue(message(i));
    let attemptsWhileDown = 0;
    for (let minute = 0; minute <= 60; minute++) {
      const r = await ctx.services.outbox.deliver();
      attemptsWhileDown += r.retrying;
      ctx.clock.advance(MINUTE);
    }
    // Back-off 1, 2, 4, 8, 16, 32 minutes: 6 tries per message in the hour, not 60.
    expect(attemptsWhileDown).to.equal(5 * 6);
    const waiting = await ctx.services.outbox.list({ status: ['pending'], page: 1, pageSize: 10 });
    expect(waiting.total).to.equal(5);
    expect(waiting.items[0]!.lastError).to.match(/ECONNREFUSED|connect/i);

    await smtp.start();
    for (let minute = 61; minute <= 130; minute++) {
      await ctx.services.outbox.deliver();
      ctx.clock.advance(MINUTE);
    }
    expect(subjects(smtp)).to.deep.equal([0, 1, 2, 3, 4].map((i) => `message ${i}`));
    const sent = await ctx.services.outbox.list({ status: ['sent'], page: 1, pageSize: 10 });
    expect(sent.items.map((m) => m.attempts)).to.deep.equal([7, 7, 7, 7, 7]);
  });

  it('sends nothing twice after a worker stopped mid-send, and retries one that died before sending', async () => {
    const { outbox, models } = ctx.services;
    await outbox.enqueue(message(1));
    await outbox.enqueue(message(2));
    const [m1, m2] = await models.outbox.find().sort({ dedupeKey: 1 }).lean();
    const lease = new Date(ctx.clock.now().getTime() + ctx.config.OUTBOX_LEASE_SECONDS * 1000);
    // Message 1: a worker sent it and recorded so on its claim, then stopped before marking the message.
    await models.outboxClaims.create({ _id: `${String(m1!._id)}:1`, messageId: m1!._id, attempt: 1, worker: 'gone', leaseUntil: lease, outcome: 'sent', finishedAt: ctx.clock.now() });
    // Message 2: a worker claimed it and stopped before SMTP accepted anything.
    await models.outboxClaims.create({ _id: `${String(m2!._id)}:1`, messageId: m2!._id, attempt: 1, worker: 'gone', leaseUntil: lease });

    await outbox.deliver();
    expect(smtp.received).to.have.length(0);
    expect((await models.outbox.findById(m1!._id).lean())!.status).to.equal('sent');
    expect((await models.outbox.findById(m2!._id).lean())!.status).to.equal('pending');

    // Once the lease is over, message 2 is retried after its back-off; message 1 never again.
    ctx.clock.advance(ctx.config.OUTBOX_LEASE_SECONDS * 1000 + 2 * MINUTE);
    await outbox.deliver();
    await outbox.deliver();
    expect(subjects(smtp)).to.deep.equal(['message 2']);
  });
});

describe('outbox failures and no SMTP', function () {
  this.timeout(60_000);

  it('marks a message failed after the last attempt and reports it in /readyz, which stays 200', async () => {
    const smtp = await startSmtp();
    await smtp.stop();
    const ctx = await createTestContext('reminders_failed', { SMTP_URL: smtp.url, OUTBOX_MAX_ATTEMPTS: '3' });
    try {
      await ctx.services.outbox.enqueue(message(1));
      for (let i = 0; i < 10; i++) {
        await ctx.services.outbox.deliver();
        ctx.clock.advance(10 * MINUTE);
      }
      const res = await ctx.api.get('/readyz').expect(200);
      expect(res.body.checks.mail).to.deep.equal({ smtp: 'configured', pending: 0, failed: 1, unsent: 0 });
      const failed = await ctx.api.get('/api/v1/outbox?status=failed').expect(200);
      expect(failed.body.items[0]).to.include({ status: 'failed', attempts: 3, subject: 'message 1' });
    } finally {
      await ctx.close();
    }
  });

  it('keeps messages as "not sent: no SMTP" without SMTP_URL, readable by admins at GET /api/v1/outbox', async () => {
    const ctx = await createTestContext('reminders_nosmtp');
    try {
      await ctx.services.outbox.enqueue(message(1));
      expect(await ctx.services.outbox.deliver()).to.include({ unsent: 1, sent: 0 });
      const res = await ctx.api.get('/api/v1/outbox').expect(200);
      expect(res.body.total).to.equal(1);
      expect(res.body.items[0]).to.include({ status: 'unsent', lastError: 'not sent: no SMTP', to: 'p1@example.com', text: '1' });
      expect((await ctx.api.get('/readyz').expect(200)).body.checks.mail).to.include({ smtp: 'not configured', unsent: 1 });
      const viewer = await ctx.as('viewer');
      await viewer.get('/api/v1/outbox').expect(403);
      await ctx.api.get('/api/v1/outbox?status=lost').expect(400);
    } finally {
      await ctx.close();
    }
  });

  it('sends the messages kept as unsent once SMTP is configured, each once, even with two workers', async () => {
    const before = await createTestContext('reminders_unsent_later');
    const smtp = await startSmtp();
    const conns: Awaited<ReturnType<typeof connectDb>>[] = [];
    try {
      for (let i = 0; i < 5; i++) await before.services.outbox.enqueue(message(i));
      expect(await before.services.outbox.deliver()).to.include({ unsent: 5 });
      // The service restarts with SMTP_URL set: two workers on the same database.
      const config = { ...before.config, SMTP_URL: smtp.url };
      const workers = await Promise.all(
        [0, 1].map(async () => {
          const conn = await connectDb(serverUri(), before.conn.name);
          conns.push(conn);
          return buildServices({ config, conn, clock: before.clock, logger: createLogger('silent') });
        }),
      );
      const reports = await Promise.all(workers.map((w) => w.outbox.deliver()));
      expect(reports.reduce((n, r) => n + r.sent, 0)).to.equal(5);
      await Promise.all(workers.map((w) => w.outbox.deliver()));
      expect(subjects(smtp)).to.deep.equal(['message 0', 'message 1', 'message 2', 'message 3', 'message 4']);
      const res = await before.api.get('/api/v1/outbox?status=sent').expect(200);
      expect(res.body.total).to.equal(5);
    } finally {
      for (const conn of conns) await conn.close();
      await before.close();
      await smtp.stop();
    }
  });
});
