import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { createTestContext, type TestContext } from '../support/context.js';

/**
 * Every field of the record reaches every full document: each built-in postmortem template, in both
 * languages, as the page, the printable HTML and Markdown, shows each value of a record whose every field
 * holds a marker of its own. A field a template forgets (or a new field no template shows) fails here.
 */
const record = {
  title: 'mkTitle',
  summary: 'mkSummary',
  severity: 'B',
  status: 'resolved',
  timezone: 'Asia/Shanghai',
  locale: 'zh-CN',
  services: ['mkServiceOne', 'mkServiceTwo'],
  tags: ['mkTagOne', 'mkTagTwo'],
  owner: 'mkowner@example.com',
  reporter: 'mkreporter@example.com',
  detection: { source: 'customer_report', detail: 'mkDetectionDetail' },
  window: { startedAt: '2023-03-15T10:01', detectedAt: '2023-03-15T10:12', mitigatedAt: '2023-03-15T10:23', resolvedAt: '2023-03-15T10:34' },
  impact: {
    summary: 'mkImpactSummary',
    customerFacing: true,
    affected: [{ label: 'mkAffectedLabel', count: 701 }],
    errorRatios: [{ label: 'mkRatioLabel', totalRows: 907, errorRows: 3 }],
  },
  cause: { trigger: 'mkTrigger', rootCauses: ['mkRootCause'], contributingFactors: ['mkFactor'] },
  remediation: { summary: 'mkRemediation', timeline: [{ at: '2023-03-15T10:45', text: 'mkTimelineText' }] },
  dataRepair: { description: 'mkRepair', range: { from: '2023-03-02', to: '2023-03-04' }, startedAt: '2023-03-16T09:56', completedAt: '2023-03-16T11:58', rowsRepaired: 809 },
  lessons: { wentWell: ['mkWentWell'], wentWrong: ['mkWentWrong'], gotLucky: ['mkGotLucky'] },
  review: { participants: ['mkParticipant'], reportUrl: 'https://wiki.example.com/mkReportUrl' },
  links: [{ title: 'mkLinkTitle', url: 'https://example.com/mkLinkUrl' }],
  actions: [{ title: 'mkActionTitle', description: 'mkActionDescription', owner: 'mkactionowner@example.com', dueDate: '2023-04-01', priority: 'high', type: 'prevent' }],
};

/** What each field should put in a document: its text, number or local time (10:01 for 2023-03-15T10:01). */
function expectedValues(): { field: string; value: string }[] {
  const out: { field: string; value: string }[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}.${i}`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    else if (typeof v === 'number') out.push({ field: path, value: String(v) });
    else if (typeof v === 'string' && /mk/i.test(v)) out.push({ field: path, value: v });
    else if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(v)) out.push({ field: path, value: v.slice(11) });
  };
  walk(record, '');
  return out;
}

describe('every field of the record in every postmortem template', () => {
  let t: TestContext;
  let key: string;
  before(async () => {
    t = await createTestContext('documents_every_field');
    t.clock.set('2023-03-20T12:00:00+08:00');
    for (const email of ['mkowner@example.com', 'mkreporter@example.com', 'mkactionowner@example.com']) await t.services.users.create({ email, name: email.split('@')[0]!, role: 'editor' }, SYSTEM_ACTOR);
    key = (await t.api.post('/api/v1/incidents').send(record).expect(201)).body.key;
  });
  after(() => t.close());

  for (const locale of ['en', 'zh-CN']) {
    for (const format of ['md', 'html']) {
      it(`postmortem.${locale}, ${format === 'md' ? 'Markdown' : 'printable HTML'}`, async () => {
        const text = (await t.api.get(`/api/v1/incidents/${key}/document`).query({ template: 'postmortem', locale, format }).expect(200)).text;
        const missing = expectedValues().filter((e) => !text.includes(e.value));
        expect(missing, `missing from postmortem.${locale}.${format}`).to.deep.equal([]);
      });
    }
    it(`the incident page in ${locale}`, async () => {
      const email = `reader-${locale.toLowerCase()}@example.com`;
      await t.services.users.create({ email, name: 'reader', role: 'viewer', locale: locale as 'en' }, SYSTEM_ACTOR);
      const page = (await (await t.as('viewer', email)).get(`/incidents/${key}`).set('Accept', 'text/html').expect(200)).text;
      const missing = expectedValues().filter((e) => !page.includes(e.value));
      expect(missing, `missing from the ${locale} page`).to.deep.equal([]);
    });
  }
});
