import { expect } from 'chai';
import type { ParsedMail } from 'mailparser';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { createIncidentBody } from '../../src/incidents/schemas.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { startSmtp, type TestSmtp } from './smtp.js';

const HOUR = 3_600_000;

/**
 * A person who owes many actions gets a digest that lists the first DIGEST_SECTION_ITEMS of each
 * section, in due order, and counts the rest with a link to the list of them all, in their language.
 */
describe('reminders: a digest of many actions', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let smtp: TestSmtp;
  let incidentKey: string;
  const received: ParsedMail[] = [];

  before(async () => {
    smtp = await startSmtp();
    ctx = await createTestContext('reminders_digest_sections', { SMTP_URL: smtp.url, DEFAULT_LOCALE: 'zh-CN', DIGEST_SECTION_ITEMS: '3' });
    await ctx.services.users.create({ email: 'dave@example.com', name: 'Dave', role: 'editor', timezone: 'Asia/Shanghai', locale: 'en' }, SYSTEM_ACTOR);
    ctx.clock.set('2026-12-01T00:00:00Z');
    const decrypt = fixture('decrypt-failure');
    const owed = (owner: string) => [
      ...['2026-12-06', '2026-12-02', '2026-12-05', '2026-12-03', '2026-12-04'].map((dueDate, i) => ({ ...decrypt.actions[0], title: `${owner} overdue ${i}`, owner, dueDate })),
      { ...decrypt.actions[0], title: `${owner} this week`, owner, dueDate: '2026-12-12' },
    ];
    const incident = await ctx.services.incidents.create(
      createIncidentBody.parse({ ...decrypt, owner: 'lead@example.com', actions: [...owed('carol@example.com'), ...owed('dave@example.com')] }),
      SYSTEM_ACTOR,
    );
    incidentKey = incident.key;
    for (let t = ctx.clock.now().getTime(); t <= Date.parse('2026-12-10T12:00:00Z'); t += HOUR) {
      ctx.clock.set(new Date(t));
      const before = smtp.received.length;
      await ctx.services.reminders.raiseDue();
      await ctx.services.reminders.sendDigests();
      await ctx.services.outbox.deliver();
      received.push(...smtp.received.slice(before));
    }
  });

  after(async () => {
    await ctx.close();
    await smtp.stop();
  });

  const lastDigestTo = (email: string) => received.filter((m) => (m.to as { text: string }).text === email).at(-1)!;

  it('lists the three most overdue, counts the other two with a link to the list, and keeps the totals in the subject (English)', () => {
    const mail = lastDigestTo('dave@example.com');
    expect(mail.subject).to.match(/^Debrief 2026-12-\d\d: 5 overdue, 1 due this week$/);
    const lines = mail.text!.split('\n');
    const overdue = lines.filter((l) => l.startsWith('- ') && l.includes('days overdue'));
    // In due order: 12-02, 12-03, 12-04 are listed; 12-05 and 12-06 are counted.
    expect(overdue.map((l) => l.match(/due (2026-12-\d\d)/)?.[1])).to.deep.equal(['2026-12-02', '2026-12-03', '2026-12-04']);
    expect(overdue.every((l) => l.includes(incidentKey))).to.equal(true);
    expect(lines).to.include(`- 2 more actions: ${ctx.config.BASE_URL}/actions?view=mine`);
    // Each listed action keeps its three one-click links; the counted ones have none.
    expect(lines.filter((l) => l.trim().startsWith('Mark done: '))).to.have.length(4);
    // Handlebars escapes the = of an address's query (&#x3D;), which a mail reader decodes.
    expect(String(mail.html).replaceAll('&#x3D;', '=')).to.include(`<a href="${ctx.config.BASE_URL}/actions?view=mine">2 more actions: see them all</a>`);
  });

  it('says the same in Chinese to a reader with the default locale', () => {
    const mail = lastDigestTo('carol@example.com');
    expect(mail.subject).to.include('5 项逾期');
    expect(mail.text!.split('\n')).to.include(`- 还有 2 项措施：${ctx.config.BASE_URL}/actions?view=mine`);
    expect(mail.html).to.include('还有 2 项措施，查看全部');
  });
});
