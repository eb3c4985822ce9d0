import { expect } from 'chai';
import supertest from 'supertest';
import { severityBuckets } from '../../src/reports/service.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

const weekly = (t: TestContext, query: Record<string, string>) => t.api.get('/api/v1/reports/weekly').query(query);

describe('weekly report', () => {
  let t: TestContext;
  let decryptKey: string;
  before(async () => {
    t = await createTestContext('reports_weekly');
    // Both postmortems are filed on Thursday 2023-02-16 (2023-W07), after the decrypt incident was resolved.
    t.clock.set('2023-02-16T11:00:00+08:00');
    await t.api.post('/api/v1/incidents').send(fixture('tidb-sync')).expect(201);
    decryptKey = (await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body.key;
  });
  after(() => t.close());

  it('puts the TiDB outage (Sunday 2/5) in 2023-W05, counted as a stability event, not an accident', async () => {
    const { body } = await weekly(t, { week: '2023-W05', format: 'json' }).expect(200);
    expect(body.period).to.deep.equal({ week: '2023-W05', weekNumber: 5, from: '2023-01-30', to: '2023-02-05', timezone: 'Asia/Shanghai', date: '2023-02-05', weekNumbering: 'iso', weekDays: 'mon-sun' });
    expect(body.incidents.map((i: { title: string }) => i.title)).to.deep.equal(['Oracle→TiDB 同步链路中断，商户账单生成延迟']);
    expect(body.accidents).to.deep.equal({
      total: 0,
      buckets: [
        { label: 'AB', levels: ['A', 'B'], count: 0 },
        { label: 'CD', levels: ['C', 'D'], count: 0 },
      ],
    });
    expect(body.stabilityEvents).to.deep.equal({ levels: ['E'], count: 1 });

    const md = (await weekly(t, { week: '2023-W05' }).expect(200)).text;
    expect(md).to.contain('- 事故数AB级0次，CD级0次\n');
    expect(md).to.contain('1. 生产稳定性事件：\n- 2/5 8:48~9:50 Oracle 到 TiDB 同步链路中断，影响到商户账单生成延迟\n');
  });

  it('puts the decrypt incident in the week it was found (2/14, 2023-W07, as the seed report of 2/18 did) with its weekly entry, 0.410% included', async () => {
    const { body } = await weekly(t, { week: '2023-W07', format: 'json' }).expect(200);
    expect(body.incidents).to.have.length(1);
    expect(body.incidents[0]).to.include({ key: decryptKey, severity: 'E', bucket: null, countedBy: 'detectedAt' });

    const md = (await weekly(t, { week: '2023-W07' }).expect(200)).text;
    // The same bullet the incident's own weekly-entry document gives, word for word.
    const entry = (await t.api.get(`/api/v1/incidents/${decryptKey}/document`).query({ template: 'weekly-entry' }).expect(200)).text;
    expect(md).to.contain(entry);
    expect(md).to.contain('- 2/14 12:04 业务方反馈对账单从 2 月 9 日开始，有一部分账单明细中对手方信息显示【解密服务初始化失败，请联系加解密管理员】');
    expect(md).to.contain('数据全量共1496160条数据，其中错误数据量6131条，错误占比0.410%。');
    expect(md).not.to.contain('Oracle 到 TiDB');

    const html = (await weekly(t, { week: '2023-W07', format: 'html' }).expect(200).expect('content-type', /text\/html/)).text;
    // Dated today (2/16): the week has not ended yet.
    expect(html).to.contain('<title>第07周 2023/02/16</title>');
    expect(html).to.contain('错误占比0.410%');
    // Printed, the week comes with its charts (the twelve weeks up to it), each captioned with its numbers.
    expect(html.match(/<figure><svg/g)).to.have.length(4);
    expect(html).to.contain('<figcaption>每周事件数（按级别），2022-11-28 ~ 2023-02-19.');
  });

  it('shows the corrective actions: opened with the postmortem at the resolution (2/15), 3 open and unowned since then, none before', async () => {
    const w06 = (await weekly(t, { week: '2023-W06', format: 'json' }).expect(200)).body;
    expect(w06.actions.unowned).to.deep.equal({ count: 0, keys: [] });
    expect(w06.actions.opened.count).to.equal(0);
    const w07 = (await weekly(t, { week: '2023-W07', format: 'json' }).expect(200)).body;
    expect(w07.actions.opened.count).to.equal(3);
    expect(w07.actions.unowned).to.deep.equal({ count: 3, keys: [1, 2, 3].map((n) => `${decryptKey}-A${n}`) });
    expect(w07.actions.closed.count).to.equal(0);
    expect(w07.actions.overdue.count).to.equal(0);
    const md = (await weekly(t, { week: '2023-W07' }).expect(200)).text;
    expect(md).to.contain('2. 改进措施：本期新增 3 项，关闭 0 项（按期 0 项）；截至期末未关闭 3 项，逾期 0 项，未认领 3 项。');
  });

  it('says so when a week had no incidents, in either language', async () => {
    const zh = (await weekly(t, { week: '2023-W06' }).expect(200)).text;
    expect(zh).to.contain('- 事故数AB级0次，CD级0次');
    expect(zh).to.contain('- 本期无生产稳定性事件。');
    const en = (await weekly(t, { week: '2023-W06', locale: 'en' }).expect(200)).text;
    expect(en).to.match(/^# Week 06 2023\/02\/12\n\nTimes are in Asia\/Shanghai; the period is 2023-02-06 to 2023-02-12;/);
    expect(en).to.contain('- Accidents: 0 of level AB, 0 of level CD');
    expect(en).to.contain('- No incidents in this period.');
  });

  it('counts accidents by bucket, by detection or else start, with days starting in the report time zone', async () => {
    const base = fixture('tidb-sync');
    // Monday 00:30 in Shanghai is still Sunday in UTC.
    await t.api.post('/api/v1/incidents').send({ ...base, title: 'B-level outage', severity: 'B', window: { startedAt: '2023-03-06T00:30', resolvedAt: '2023-03-06T02:00' } }).expect(201);
    await t.api.post('/api/v1/incidents').send({ ...base, title: 'C-level, start unknown', severity: 'C', window: { detectedAt: '2023-03-08T10:00', resolvedAt: '2023-03-08T11:00' } }).expect(201);

    const { body } = await weekly(t, { week: '2023-W10', format: 'json' }).expect(200);
    expect(body.incidents.map((i: { title: string; bucket: string; countedBy: string }) => [i.title, i.bucket, i.countedBy])).to.deep.equal([
      ['B-level outage', 'AB', 'startedAt'],
      ['C-level, start unknown', 'CD', 'detectedAt'],
    ]);
    expect(body.accidents.total).to.equal(2);
    expect(body.accidents.buckets.map((b: { count: number }) => b.count)).to.deep.equal([1, 1]);
    expect((await weekly(t, { week: '2023-W10' }).expect(200)).text).to.contain('- 事故数AB级1次，CD级1次');

    const utc = (await weekly(t, { week: '2023-W09', timezone: 'UTC', format: 'json' }).expect(200)).body;
    expect(utc.incidents.map((i: { title: string }) => i.title)).to.deep.equal(['B-level outage']);
    // A date range works the same way: both days inclusive.
    const range = (await weekly(t, { from: '2023-03-06', to: '2023-03-07', format: 'json' }).expect(200)).body;
    expect(range.period).to.include({ from: '2023-03-06', to: '2023-03-07', timezone: 'Asia/Shanghai' });
    expect(range.period).not.to.have.property('week');
    expect(range.incidents.map((i: { title: string }) => i.title)).to.deep.equal(['B-level outage']);
  });

  it("shows an incident filed in another zone in the report's zone, as its header says", async () => {
    // 09:00 in Berlin on Wednesday 2023-03-15 is 16:00 in Shanghai.
    await t.api
      .post('/api/v1/incidents')
      .send({ ...fixture('tidb-sync'), title: 'Berlin outage', timezone: 'Europe/Berlin', impact: { summary: 'Berlin outage', customerFacing: false }, window: { startedAt: '2023-03-15T09:00', resolvedAt: '2023-03-15T10:30' } })
      .expect(201);
    const md = (await weekly(t, { week: '2023-W11' }).expect(200)).text;
    expect(md).to.contain('时间均为 Asia/Shanghai');
    expect(md).to.contain('- 3/15 16:00~17:30 Berlin outage');
    const berlin = (await weekly(t, { week: '2023-W11', timezone: 'Europe/Berlin' }).expect(200)).text;
    expect(berlin).to.contain('时间均为 Europe/Berlin').and.contain('- 3/15 9:00~10:30 Berlin outage');
  });

  it('refuses a bad week or range with 400 naming the field', async () => {
    for (const week of ['2023-7', 'last week']) {
      const { body } = await weekly(t, { week }).expect(400);
      expect(body.error.fields).to.deep.equal([{ field: 'week', message: 'must be a week like 2023-W07 or 2023-08' }]);
    }
    const { body } = await weekly(t, { week: '2023-W60' }).expect(400);
    expect(body.error.fields).to.deep.equal([{ field: 'week', message: 'no such week; must be a week like 2023-W07' }]);
    expect((await weekly(t, { from: '2023-02-01' }).expect(400)).body.error.fields[0].field).to.equal('to');
    expect((await weekly(t, { from: '2023-02-10', to: '2023-02-01' }).expect(400)).body.error.fields[0].field).to.equal('to');
    expect((await weekly(t, { week: '2023-W07', from: '2023-02-01', to: '2023-02-02' }).expect(400)).body.error.fields[0].field).to.equal('week');
    expect((await weekly(t, { week: '2023-W07', timezone: 'Mars/Base' }).expect(400)).body.error.fields[0].field).to.equal('timezone');
  });

  it('is open to every signed-in role and listed in OpenAPI', async () => {
    const viewer = await t.as('viewer');
    await viewer.get('/api/v1/reports/weekly').query({ week: '2023-W05', format: 'json' }).expect(200);
    await supertest(t.app).get('/api/v1/reports/weekly').expect(401);
    const { body } = await t.api.get('/api/v1/openapi.json').expect(200);
    const op = body.paths['/api/v1/reports/weekly'].get;
    expect(op.parameters.map((p: { name: string }) => p.name)).to.include.members(['week', 'from', 'to', 'timezone', 'locale', 'format']);
  });

  it('has a page linked from the navigation, with the weeks around it', async () => {
    const html = (await t.api.get('/reports/weekly').query({ week: '2023-W05' }).expect(200)).text;
    // The admin reads zh-CN (the default locale): the page's own words are Chinese, like the report.
    expect(html).to.contain('<a href="/reports/weekly">周报</a>').and.contain('<title>周报 2023-W05 · Debrief</title>').and.contain('>打印版</a>');
    expect(html).to.contain('<h1>第05周 2023/02/05</h1>');
    expect(html).to.contain('2/5 8:48~9:50 Oracle 到 TiDB 同步链路中断');
    expect(html).to.contain('<a href="/reports/weekly?week=2023-W04">');
    expect(html).to.contain('<a href="/reports/weekly?week=2023-W06">');
    await supertest(t.app).get('/reports/weekly').expect(303).expect('location', '/login?next=%2Freports%2Fweekly');
  });

  it('counts an action closed in the week it was done, and no longer as unowned', async () => {
    t.clock.set('2023-02-16T11:00:00+08:00');
    await t.api
      .post(`/api/v1/actions/${decryptKey}-A2/transitions`)
      .send({ to: 'done', note: 'format check added', evidence: 'https://git.example/mr/1' })
      .expect(200);
    t.clock.set('2023-02-20T10:00:00+08:00');
    const { actions } = (await weekly(t, { week: '2023-W07', format: 'json' }).expect(200)).body;
    expect(actions.closed).to.deep.equal({ count: 1, keys: [`${decryptKey}-A2`] });
    expect(actions.unowned.keys).to.deep.equal([`${decryptKey}-A1`, `${decryptKey}-A3`]);
    expect((await weekly(t, { week: '2023-W08', format: 'json' }).expect(200)).body.actions.closed.count).to.equal(0);
    // Without a week or range: the current week in the report's zone (Monday 2023-02-20 is in 2023-W08).
    expect((await weekly(t, { format: 'json' }).expect(200)).body.period.week).to.equal('2023-W08');
  });

  it('derives the buckets from SEVERITY_LEVELS: the last level is a stability event, the rest split in halves', () => {
    expect(severityBuckets(['A', 'B', 'C', 'D', 'E'])).to.deep.equal({
      buckets: [
        { label: 'AB', levels: ['A', 'B'] },
        { label: 'CD', levels: ['C', 'D'] },
      ],
      stability: ['E'],
    });
    expect(severityBuckets(['A', 'B', 'C', 'D']).buckets.map((b) => b.label)).to.deep.equal(['AB', 'C']);
    expect(severityBuckets(['SEV1', 'SEV2', 'SEV3']).buckets.map((b) => b.label)).to.deep.equal(['SEV1', 'SEV2']);
    expect(severityBuckets(['P0', 'P1', 'P2', 'P3', 'P4']).buckets.map((b) => b.label)).to.deep.equal(['P0/P1', 'P2/P3']);
    expect(severityBuckets(['only'])).to.deep.equal({ buckets: [], stability: ['only'] });
  });

  it('names the first 30 of many open actions and says how many there are, as text and as links, where listing them all would outgrow a page', async () => {
    t.clock.set('2023-03-20T10:00:00+08:00');
    const many = Array.from({ length: 40 }, (_, i) => ({ title: `check job ${i + 1}`, type: 'detect', priority: 'low' }));
    const { body: incident } = await t.api
      .post('/api/v1/incidents')
      .send({ title: 'many actions', window: { startedAt: '2023-03-06T10:00', resolvedAt: '2023-03-06T11:00' }, actions: many })
      .expect(201);
    const { body } = await weekly(t, { week: '2023-W10', format: 'json' }).expect(200);
    expect(body.actions.unowned.count).to.be.at.least(40);
    const md = (await weekly(t, { week: '2023-W10' }).expect(200)).text;
    const line = md.split('\n').find((l) => l.includes('未认领：'))!;
    expect(line.split('、')).to.have.length(31);
    expect(line.endsWith('、…')).to.equal(true);
    expect(md).to.contain(`未认领 ${body.actions.unowned.count} 项`);
    const page = (await t.api.get('/reports/weekly').query({ week: '2023-W10' }).expect(200)).text;
    expect(page).to.contain(`href="/incidents/${incident.key}#${incident.key}-A1"`);
    expect(page.match(/href="\/incidents\/INC-\d{4}-\d{4}#INC-\d{4}-\d{4}-A\d+"/g)).to.have.length(30);
  });
});

describe('weekly report page: a week of many incidents', () => {
  let t: TestContext;
  const titles = Array.from({ length: 23 }, (_, i) => `批量事件 ${String(i + 1).padStart(2, '0')}`);
  before(async () => {
    t = await createTestContext('reports_weekly_many');
    t.clock.set('2023-05-22T10:00:00+08:00');
    // 23 incidents found across 2023-W20 (Monday 5/15 to Sunday 5/21), an hour apart.
    for (const [i, title] of titles.entries()) {
      const hour = String(8 + (i % 12)).padStart(2, '0');
      const day = String(15 + Math.floor(i / 12)).padStart(2, '0');
      const at = `2023-05-${day}T${hour}:00`;
      const base = fixture('tidb-sync');
      // The entry says the impact summary: each names its incident.
      await t.api.post('/api/v1/incidents').send({ ...base, title, impact: { ...(base.impact as object), summary: title }, window: { startedAt: at, detectedAt: at, resolvedAt: `2023-05-${day}T${hour}:30` } }).expect(201);
    }
  });
  after(() => t.close());

  it('writes out the first twenty entries on the page and links the other three to the incident list, while the downloads hold all 23', async () => {
    const html = (await t.api.get('/reports/weekly').query({ week: '2023-W20' }).expect(200)).text;
    const shown = titles.filter((title) => html.includes(title));
    expect(shown).to.deep.equal(titles.slice(0, 20));
    expect(html).to.contain('另有 3 起未在此展开');
    expect(html).to.match(/<a href="[^"]*\/incidents\?from=2023-05-15&amp;to=2023-05-21">这几天的事件列表<\/a>/);

    const md = (await t.api.get('/api/v1/reports/weekly').query({ week: '2023-W20' }).expect(200)).text;
    expect(titles.filter((title) => md.includes(title))).to.have.length(23);
    expect(md).not.to.contain('未在此展开');
    const { body } = await t.api.get('/api/v1/reports/weekly').query({ week: '2023-W20', format: 'json' }).expect(200);
    expect(body.incidents).to.have.length(23);
  });

  it('names the ten most recent incidents a repeat repeats and counts the rest', async () => {
    // The 23 share the fixture's service and root cause: each repeats every one noticed before it.
    const { body } = await t.api.get('/api/v1/reports/stability').query({ from: '2023-05-15', to: '2023-05-21', format: 'json' }).expect(200);
    const keyOf = new Map(body.incidents.map((i: { title: string; key: string }) => [i.title, i.key]));
    const last = body.repeats.find((r: { key: string }) => r.key === keyOf.get(titles[22]));
    expect(last.count).to.equal(22);
    expect(last.previous).to.deep.equal(titles.slice(12, 22).map((title) => keyOf.get(title)).sort());
    expect(body.incidents.find((i: { key: string }) => i.key === last.key).repeatOf).to.deep.equal(last.previous);
    const second = body.repeats.find((r: { key: string }) => r.key === keyOf.get(titles[1]));
    expect(second).to.deep.equal({ key: keyOf.get(titles[1]), previous: [keyOf.get(titles[0])], count: 1 });

    const en = (await t.api.get('/api/v1/reports/stability').query({ from: '2023-05-15', to: '2023-05-21', locale: 'en' }).expect(200)).text;
    expect(en).to.contain(`- ${last.key} repeats ${last.previous.join(', ')} and 12 earlier (same service`);
    const zh = (await t.api.get('/api/v1/reports/stability').query({ from: '2023-05-15', to: '2023-05-21', locale: 'zh-CN' }).expect(200)).text;
    expect(zh).to.contain(`- ${last.key} 重复 ${last.previous.join('、')}等 22 起（`);
  });
});
