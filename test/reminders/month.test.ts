import { expect } from 'chai';
import { DateTime } from 'luxon';
import type { ParsedMail } from 'mailparser';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { createIncidentBody } from '../../src/incidents/schemas.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { linkAfter, startSmtp, type TestSmtp } from './smtp.js';

const HOUR = 3_600_000;

/**
 * A month of the worker's life, hour by hour, for the decrypt fixture (Asia/Shanghai, owner lead)
 * and a New York incident, with recipients in both zones. Defaults: reminders 3 days before and on
 * the due date, overdue every 7 days, escalation from 14 days overdue, digests at 09:00 local.
 */
describe('reminders: a month of digests across two time zones', function () {
  this.timeout(300_000);
  let ctx: TestContext;
  let smtp: TestSmtp;
  const byRecipient = new Map<string, { day: string; hour: number; mail: ParsedMail }[]>();
  const zones: Record<string, string> = { 'alice@example.com': 'Asia/Shanghai', 'lead@example.com': 'Asia/Shanghai', 'bob@example.com': 'America/New_York' };
  let keys: { sh1: string; sh2: string; ny1: string };

  before(async () => {
    smtp = await startSmtp();
    ctx = await createTestContext('reminders_month', { SMTP_URL: smtp.url, DEFAULT_LOCALE: 'zh-CN' });
    // Bob is a known person in New York who reads English; alice and lead get the defaults (Shanghai, zh-CN).
    await ctx.services.users.create({ email: 'bob@example.com', name: 'Bob', role: 'editor', timezone: 'America/New_York', locale: 'en' }, SYSTEM_ACTOR);
    ctx.clock.set('2026-12-01T00:00:00Z');
    const decrypt = fixture('decrypt-failure');
    const [a1, a2] = decrypt.actions;
    const sh = await ctx.services.incidents.create(
      createIncidentBody.parse({
        ...decrypt,
        owner: 'lead@example.com',
        actions: [
          { ...a1, owner: 'alice@example.com', dueDate: '2026-12-05' },
          { ...a2, dueDate: '2026-12-08' }, // unowned: reported to the incident owner
        ],
      }),
      SYSTEM_ACTOR,
    );
    const ny = await ctx.services.incidents.create(
      createIncidentBody.parse({
        title: 'Checkout latency in us-east',
        timezone: 'America/New_York',
        locale: 'en',
        owner: 'lead@example.com',
        actions: [{ title: 'Add a latency SLO alert', type: 'detect', priority: 'high', owner: 'bob@example.com', dueDate: '2026-12-10' }],
      }),
      SYSTEM_ACTOR,
    );
    keys = { sh1: sh.key + '-A1', sh2: sh.key + '-A2', ny1: ny.key + '-A1' };

    const { reminders, outbox, actions } = ctx.services;
    for (let t = ctx.clock.now().getTime(); t <= Date.parse('2027-01-01T03:00:00Z'); t += HOUR) {
      ctx.clock.set(new Date(t));
      const before = smtp.received.length;
      await reminders.raiseDue();
      await reminders.sendDigests();
      await outbox.deliver();
      for (const mail of smtp.received.slice(before)) {
        const to = (mail.to as { text: string }).text;
        const local = DateTime.fromMillis(t, { zone: zones[to] });
        byRecipient.set(to, [...(byRecipient.get(to) ?? []), { day: local.toISODate()!, hour: local.hour, mail }]);
      }
      const iso = new Date(t).toISOString();
      if (iso === '2026-12-13T03:00:00.000Z') {
        // Alice closes A1 from her 12-12 digest: the page asks for a note and evidence, then applies.
        const last = byRecipient.get('alice@example.com')!.at(-1)!;
        const path = new URL(linkAfter(last.mail.text!, '标记完成')).pathname;
        const lines = last.mail.text!.split('\n');
        expect(lines.find((l) => l.includes('标记完成'))).to.be.a('string');
        expect(lines.find((l) => l.startsWith('- '))).to.include(keys.sh1);
        await ctx.api.get(path).expect(200);
        await ctx.api.post(path).type('form').send({ note: 'Enhanced decrypt returns null on failure', evidence: 'https://git.example.com/mr/42' }).expect(200);
        expect((await actions.find(keys.sh1)).status).to.equal('done');
      }
      if (iso === '2026-12-21T03:00:00.000Z') {
        await actions.transition(keys.sh1, { to: 'verified', recheckOn: '2026-12-28' }, { email: 'lead@example.com', role: 'editor' });
      }
    }
  });

  after(async () => {
    await ctx.close();
    await smtp.stop();
  });

  const days = (who: string) => (byRecipient.get(who) ?? []).map((m) => m.day);

  it('sends alice one digest on each reminder day until her action is done, then the recheck', () => {
    // 12-02 three days before, 12-05 due, 12-12 a week overdue; done 12-13; verified with recheck 12-28.
    expect(days('alice@example.com')).to.deep.equal(['2026-12-02', '2026-12-05', '2026-12-12', '2026-12-28']);
    const [first, , third, recheck] = byRecipient.get('alice@example.com')!;
    expect(first!.mail.subject).to.equal('Debrief 2026-12-02：本周到期 1 项');
    expect(third!.mail.subject).to.match(/1 项逾期/);
    expect(third!.mail.text).to.include('已逾期 7 天');
    expect(recheck!.mail.text).to.include('修复是否仍然有效').and.include(keys.sh1);
  });

  it("sends bob his digests at 09:00 New York time on New York's dates, then escalates to the incident owner", () => {
    // Due 12-10 (New York): 12-07, 12-10, then 7, 14 and 21 days overdue.
    expect(days('bob@example.com')).to.deep.equal(['2026-12-07', '2026-12-10', '2026-12-17', '2026-12-24', '2026-12-31']);
    for (const m of byRecipient.get('bob@example.com')!) expect(m.hour).to.equal(9);
    expect(byRecipient.get('bob@example.com')![0]!.mail.subject).to.equal('Debrief 2026-12-07: 1 due this week');
    expect(byRecipient.get('bob@example.com')![4]!.mail.text).to.include('21 days overdue');
  });

  it('tells the incident owner about the unowned action, the action to verify, and the escalation', () => {
    const lead = byRecipient.get('lead@example.com')!;
    // Unowned A2 (due 12-08): 12-05, 12-08, 12-15, 12-22, 12-29. A1 done 12-13: verify 12-13 and 12-20.
    // Bob's action 14 and 21 days overdue in New York (12-24, 12-31) reaches Shanghai the next morning.
    expect(days('lead@example.com')).to.deep.equal([
      '2026-12-05', '2026-12-08', '2026-12-13', '2026-12-15', '2026-12-20', '2026-12-22', '2026-12-25', '2026-12-29', '2027-01-01',
    ]);
    expect(lead[0]!.mail.text).to.include('无人认领').and.include(keys.sh2);
    expect(lead[2]!.mail.text).to.include('等待你验证').and.include(keys.sh1);
    const escalation = lead.find((m) => m.day === '2026-12-25')!;
    expect(escalation.mail.text).to.include('已升级').and.include(keys.ny1).and.include('bob@example.com');
    expect(escalation.mail.subject).to.match(/1 项已升级/);
  });

  it('sends every message once, with a digest at most once per person per day', async () => {
    const all = [...byRecipient.values()].flat();
    expect(all).to.have.length(4 + 5 + 9);
    expect(new Set(all.map((m) => m.mail.messageId)).size).to.equal(all.length);
    for (const [who, list] of byRecipient) expect(new Set(list.map((m) => m.day)).size, who).to.equal(list.length);
    const outbox = await ctx.services.outbox.list({ page: 1, pageSize: 100 });
    expect(outbox.total).to.equal(all.length);
    expect(outbox.items.every((m) => m.status === 'sent' && m.attempts === 1)).to.equal(true);
  });

  it('records the one-click completion in the action history under the recipient', async () => {
    const history = await ctx.services.actions.history(keys.sh1);
    expect(history.find((h) => h.field === 'status' && h.to === 'done')).to.include({ by: 'alice@example.com' });
  });
});
