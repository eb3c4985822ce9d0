import { expect } from 'chai';
import { COLUMNS } from '../../src/reports/exports.js';
import { type Services } from '../../src/services.js';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

/** RFC 4180 as a spreadsheet reads it: quoted cells may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    } else cell += c;
  }
  return rows;
}

const asText = (res: { text?: string; body: unknown }) => res.text ?? Buffer.from(res.body as Buffer).toString('utf8');

describe('exports and charts', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('reports_exports');
    t.clock.set('2023-03-01T10:00:00+08:00');
    for (const name of ['tidb-sync', 'decrypt-failure'] as const) await t.api.post('/api/v1/incidents').send(fixture(name)).expect(201);
    await t.api.post('/api/v1/incidents').send({ ...fixture('tidb-sync'), title: '=HYPERLINK("http://evil")', actions: [] }).expect(201);
  });
  after(() => t.close());

  it('gives incidents as CSV in UTF-8 with a BOM, one stable column per field, Chinese and multi-line cells intact', async () => {
    const res = await t.api.get('/api/v1/exports/incidents').query({ format: 'csv', sort: 'key' }).buffer(true).expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.equal('attachment; filename="incidents.csv"');
    const text = asText(res);
    expect(text.charCodeAt(0)).to.equal(0xfeff);
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(header).to.deep.equal(COLUMNS.incidents);
    expect(rows).to.have.length(3);
    const col = (row: string[], name: string) => row[header!.indexOf(name)];
    const decrypt = rows.find((r) => col(r, 'key') === 'INC-2023-0002')!;
    expect(col(decrypt, 'title')).to.equal('对账单明细对手方信息显示【解密服务初始化失败】');
    expect(col(decrypt, 'window.startedAt')).to.equal('2023-02-09');
    expect(col(decrypt, 'instants.detectedAt.at')).to.equal('2023-02-14T04:04:00.000Z');
    expect(col(decrypt, 'cause.contributingFactors')).to.equal('金服与理房通两组防火墙分别控制，策略开通节点多\n加解密函数异常时返回错误文案而非空值，业务侧无法识别差异数据');
    expect(col(decrypt, 'impact.errorRatios')).to.contain('totalRows=1496160, errorRows=6131, ratio=0.0040978');
    expect(col(decrypt, 'durations.timeToResolve.approximate')).to.equal('true');
    expect(col(decrypt, 'dataRepair.range.from')).to.equal('2023-02-09');
    const tidb = rows.find((r) => col(r, 'key') === 'INC-2023-0001')!;
    expect(col(tidb, 'durations.impactDuration.minutes')).to.equal('62');
    expect(col(tidb, 'services')).to.equal('oracle-tidb-sync\nmerchant-billing');
    // A cell a spreadsheet would run as a formula is shown as text.
    expect(col(rows.find((r) => col(r, 'key') === 'INC-2023-0003')!, 'title')).to.equal(`'=HYPERLINK("http://evil")`);
  });

  it("takes the list's filters, gives JSON lines, and refuses a bad filter with 400", async () => {
    const text = asText(await t.api.get('/api/v1/exports/incidents').query({ format: 'jsonl', q: '解密' }).buffer(true).expect(200).expect('content-type', /application\/x-ndjson/));
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.key)).to.deep.equal(['INC-2023-0002']);
    expect(lines[0].impact.errorRatios[0].errorRows).to.equal(6131);
    const bad = await t.api.get('/api/v1/exports/incidents').query({ startedFrom: 'yesterday' }).expect(400);
    expect(bad.body.error.fields[0].field).to.equal('startedFrom');
    await t.api.get('/api/v1/exports/incidents').query({ format: 'xlsx' }).expect(400);
  });

  it('gives actions with their incident, owner and due date, unowned ones marked', async () => {
    const text = asText(await t.api.get('/api/v1/exports/actions').query({ format: 'csv' }).buffer(true).expect(200));
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(header).to.deep.equal(COLUMNS.actions);
    expect(rows.map((r) => r[0])).to.deep.equal(['INC-2023-0002-A1', 'INC-2023-0002-A2', 'INC-2023-0002-A3']);
    expect(rows.map((r) => r[header!.indexOf('unowned')])).to.deep.equal(['true', 'true', 'true']);
    expect(rows[0]![header!.indexOf('dueDate')]).to.equal('2023-03-15');
    const viewer = await t.as('viewer');
    await viewer.get('/api/v1/exports/actions').expect(200);
  });

  it('streams an export longer than one page, every incident once', async function () {
    this.timeout(120_000);
    for (let n = 0; n < 200; n++) {
      await t.services.incidents.create({ title: `bulk ${n}`, severity: 'E', status: 'resolved', window: { startedAt: '2023-04-01T10:00', resolvedAt: '2023-04-01T11:00' } } as never, { email: 'admin@example.com', role: 'admin' } as never);
    }
    const text = asText(await t.api.get('/api/v1/exports/incidents').query({ format: 'csv' }).buffer(true).expect(200));
    const keys = parseCsv(text.slice(1)).slice(1).map((r) => r[0]);
    expect(keys).to.have.length(203);
    expect(new Set(keys).size).to.equal(203);
  });

  it('draws charts as SVG with a text alternative, and their numbers as JSON', async () => {
    const query = { from: '2023-01-30', to: '2023-02-19', locale: 'en' };
    const res = await t.api.get('/api/v1/reports/charts/incidents-by-week').query(query).buffer(true).expect(200);
    expect(res.headers['content-type']).to.equal('image/svg+xml; charset=utf-8');
    const svg = asText(res);
    expect(svg).to.match(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]* role="img"/);
    expect(svg).to.contain('<title id="incidents-by-week-title">Incidents by week and severity, 2023-01-30 to 2023-02-19</title>');
    // ISO weeks 5, 6, 7: the TiDB incident and its formula-titled copy (W05) and the decrypt failure (found in W07), all level E.
    expect(svg).to.contain('<desc id="incidents-by-week-desc">Incidents by week and severity, 2023-01-30 to 2023-02-19. 2023-W05: A 0, B 0, C 0, D 0, E 2; 2023-W06: A 0, B 0, C 0, D 0, E 0; 2023-W07: A 0, B 0, C 0, D 0, E 1.</desc>');
    expect(svg.match(/<rect [^>]*fill="#64748b"><title>/g)).to.have.length(2);
    const json = (await t.api.get('/api/v1/reports/charts/actions-opened-closed').query({ ...query, format: 'json' }).expect(200)).body;
    expect(json.categories).to.deep.equal(['2023-W05', '2023-W06', '2023-W07']);
    expect(json.series[0]).to.deep.equal({ label: 'opened', values: [0, 0, 3] });
    for (const name of ['time-to-resolve', 'availability']) {
      expect(asText(await t.api.get(`/api/v1/reports/charts/${name}`).query(query).buffer(true).expect(200))).to.contain(`<desc id="${name}-desc">`);
    }
    // Without a period: the twelve weeks up to this one.
    expect((await t.api.get('/api/v1/reports/charts/availability').query({ format: 'json' }).expect(200)).body.categories).to.have.length(12);
    expect((await t.api.get('/api/v1/reports/charts/pie').expect(400)).body.error.fields[0].field).to.equal('name');
  });

  it("keeps the actions chart and the period's action counts up to date as actions move, as a fresh read of every action gives them", async () => {
    const numbers = async (s: Services) => {
      const period = s.reports.period({ from: '2023-01-30', to: '2023-03-05' });
      const data = await s.reports.load();
      return { chart: s.reports.chart('actions-opened-closed', period, data, 'en').series, actions: (await s.reports.compute(period, data)).actions };
    };
    const before = await numbers(t.services);
    // Kept from here on: each move below is applied to what was kept, not read again.
    const done = { to: 'done', note: 'shipped', evidence: 'https://runbooks.example.com/decrypt' };
    await t.api.post('/api/v1/actions/INC-2023-0002-A1/transitions').send(done).expect(200);
    await t.api.post('/api/v1/actions/INC-2023-0002-A2/transitions').send({ to: 'wont_fix', reason: 'covered by A1' }).expect(200);
    await t.api.post('/api/v1/actions/INC-2023-0002-A1/transitions').send({ to: 'open', reason: 'the check missed a field' }).expect(200);
    await t.api.post('/api/v1/actions/INC-2023-0002-A1/transitions').send(done).expect(200);
    await t.api.post('/api/v1/incidents/INC-2023-0001/actions').send({ title: 'Alert on sync lag' }).expect(201);
    const kept = await numbers(t.services);
    expect(kept.actions.closed).to.deep.equal({ count: 2, keys: ['INC-2023-0002-A1', 'INC-2023-0002-A2'] });
    expect(kept.chart).to.not.deep.equal(before.chart);
    await inAnotherProcess(t, async (other) => {
      expect(kept).to.deep.equal(await numbers(other));
    });
  });

  it('keeps the incident charts of a past period right as incidents in and out of it change, as a fresh read gives them', async () => {
    const charts = async (s: Services) => {
      const period = s.reports.period({ from: '2023-01-30', to: '2023-02-19' });
      const data = await s.reports.load();
      return (['incidents-by-week', 'time-to-resolve', 'availability'] as const).map((name) => s.reports.chart(name, period, data, 'en').series);
    };
    const incident = (title: string, day: string) => ({
      title,
      severity: 'B',
      status: 'resolved',
      services: ['payments'],
      impact: { customerFacing: true },
      window: { startedAt: `${day}T10:00`, detectedAt: `${day}T10:05`, resolvedAt: `${day}T11:35` },
    });
    const before = await charts(t.services);
    // Kept while what changes is outside what the period's report reads, and a minute later (the period is over).
    await t.api.post('/api/v1/incidents').send(incident('Long before', '2021-06-01')).expect(201);
    t.clock.advance(60_000);
    expect(await charts(t.services)).to.deep.equal(before);
    const inside = (await t.api.post('/api/v1/incidents').send(incident('Ledger outage', '2023-02-08')).expect(201)).body;
    const during = await charts(t.services);
    expect(during).to.not.deep.equal(before);
    await t.api.patch(`/api/v1/incidents/${inside.key}`).send({ version: inside.version, window: { startedAt: '2021-07-01T10:00', detectedAt: '2021-07-01T10:05', resolvedAt: '2021-07-01T11:35' } }).expect(200);
    expect(await charts(t.services)).to.deep.equal(before);
    // Noticed in the period, though resolved (a whole day, in its own zone) before the period's first
    // moment in the report's: counted, so a change to it shows.
    const farEast = { ...incident('Far east', '2023-01-30'), timezone: 'Pacific/Kiritimati', window: { startedAt: '2023-01-30T23:00', resolvedAt: '2023-01-30' } };
    const filed = (await t.api.post('/api/v1/incidents').send(farEast).expect(201)).body;
    const counted = await charts(t.services);
    expect(counted).to.not.deep.equal(before);
    await t.api.patch(`/api/v1/incidents/${filed.key}`).send({ version: filed.version, severity: 'A' }).expect(200);
    const after = await charts(t.services);
    expect(after).to.not.deep.equal(counted);
    await inAnotherProcess(t, async (other) => {
      expect(after).to.deep.equal(await charts(other));
    });
  });

  it('emails a report through the outbox, its charts in the HTML and their text in both parts', async () => {
    const { body } = await t.api.post('/api/v1/reports/emails').send({ week: '2023-W07', locale: 'zh-CN', recipients: ['Lead@Example.com', 'sre@example.com'] }).expect(202);
    expect(body).to.deep.equal({ queued: 2, alreadyQueued: 0, subject: '第07周 2023/02/19', chat: { channels: 0, messages: 0 } });
    const { items } = (await t.api.get('/api/v1/outbox').query({ to: 'lead@example.com' }).expect(200)).body;
    expect(items).to.have.length(1);
    expect(items[0].subject).to.equal('第07周 2023/02/19');
    expect(items[0].html).to.contain('<h1>第07周 2023/02/19</h1>').and.contain('<figure><svg');
    expect(items[0].html.match(/<figure>/g)).to.have.length(4);
    expect(items[0].text).to.contain('## 【系统运行数据】').and.contain('每周事件数（按级别），2022-11-28 ~ 2023-02-19. 2022-W48:');
    const bad = await t.api.post('/api/v1/reports/emails').send({ week: '2023-W07', recipients: ['not an address'] }).expect(400);
    expect(bad.body.error.fields[0].field).to.equal('recipients.0');
    await (await t.as('viewer')).post('/api/v1/reports/emails').send({ week: '2023-W07', recipients: ['a@example.com'] }).expect(403);
  });

  it('sends a report to a person once: a retried request (same requestId) or the same report again queues nothing', async () => {
    const send = async (extra: Record<string, unknown>) => (await t.api.post('/api/v1/reports/emails').send({ week: '2023-W08', recipients: ['once@example.com'], ...extra }).expect(202)).body;
    const sent = async () => (await t.api.get('/api/v1/outbox').query({ to: 'once@example.com' }).expect(200)).body.total;
    expect(await send({ requestId: 'weekly-2023-W08' })).to.include({ queued: 1, alreadyQueued: 0 });
    // Retried minutes later, the report's "generated" time moved on: the request id still says it is the same request.
    t.clock.set(new Date(t.clock.now().getTime() + 5 * 60_000));
    expect(await send({ requestId: 'weekly-2023-W08' })).to.include({ queued: 0, alreadyQueued: 1 });
    // Without a request id, the same report twice in a row goes once; another request id is another sending.
    expect(await send({})).to.include({ queued: 1 });
    expect(await send({})).to.include({ queued: 0, alreadyQueued: 1 });
    expect(await send({ requestId: 'weekly-2023-W08-again' })).to.include({ queued: 1 });
    expect(await sent()).to.equal(3);
  });

  it('puts the charts, with their text, in the printable period report', async () => {
    const html = (await t.api.get('/api/v1/reports/stability').query({ from: '2023-01-01', to: '2023-03-31', format: 'html', locale: 'zh-CN' }).expect(200)).text;
    expect(html).to.contain('<h1>稳定性报告 2023-01-01 ~ 2023-03-31</h1>');
    expect(html.match(/<figure><svg/g)).to.have.length(4);
    expect(html).to.contain('<figcaption>每周事件数（按级别），2023-01-01 ~ 2023-03-31.');
    expect(html).to.contain('恢复用时');
  });
});

describe('CSV formula guard', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('reports_exports_guard');
  });
  after(() => t.close());

  it('shows every cell a spreadsheet would run as a formula as text, and leaves numbers as numbers', async () => {
    const titles = ['-2+3+cmd|" /C calc"!A0', '+1+1', '@SUM(A1:A9)', '=1+1', 'plain - title'];
    for (const title of titles) await t.api.post('/api/v1/incidents').send({ ...fixture('tidb-sync'), title, actions: [] }).expect(201);
    const text = asText(await t.api.get('/api/v1/exports/incidents').query({ format: 'csv', sort: 'key' }).buffer(true).expect(200));
    const [header, ...rows] = parseCsv(text.slice(1));
    const col = (name: string) => rows.map((r) => r[header!.indexOf(name)]);
    expect(col('title')).to.deep.equal([`'-2+3+cmd|" /C calc"!A0`, `'+1+1`, `'@SUM(A1:A9)`, `'=1+1`, 'plain - title']);
    expect(col('durations.impactDuration.minutes')).to.deep.equal(['62', '62', '62', '62', '62']);
  });
});
