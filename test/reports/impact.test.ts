import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { availabilityByRange, downtime, impactColumns, impactsBySystem, indexImpacts, type Range } from '../../src/reports/compute.js';
import type { IncidentDoc } from '../../src/incidents/model.js';
import type { FacingImpact } from '../../src/reports/period.js';

/**
 * Issue 29: a customer-facing outage started 10:00, mitigated 10:35 and resolved 10:47. The postmortem
 * said 47 minutes and the report 35; availability stayed 100% because its services were named in no system.
 */
describe('one impact duration', () => {
  let t: TestContext;
  let key: string;
  before(async () => {
    t = await createTestContext('reports_impact', { AVAILABILITY_SYSTEMS: '支付系统=payment' });
    t.clock.set('2023-03-20T12:00:00+08:00');
    const outage = {
      ...fixture('tidb-sync'),
      title: '支付网关超时',
      severity: 'B',
      services: ['payment-gateway', 'payments-api'],
      window: { startedAt: '2023-03-15T10:00', mitigatedAt: '2023-03-15T10:35', resolvedAt: '2023-03-15T10:47' },
      impact: { summary: '支付网关超时，部分客户付款失败', customerFacing: true },
    };
    key = (await t.api.post('/api/v1/incidents').send(outage).expect(201)).body.key;
  });
  after(() => t.close());

  it('is the same 35 minutes (start to mitigation) in the API, the postmortem, the weekly entry and the report', async () => {
    const { body } = await t.api.get(`/api/v1/incidents/${key}`).expect(200);
    expect(body.durations.impactDuration.minutes).to.equal(35);

    const zh = (await t.api.get(`/api/v1/incidents/${key}/document`).query({ template: 'postmortem', locale: 'zh-CN' }).expect(200)).text;
    expect(zh).to.contain('- 影响时长：35 分钟');
    const en = (await t.api.get(`/api/v1/incidents/${key}/document`).query({ template: 'postmortem', locale: 'en' }).expect(200)).text;
    expect(en).to.contain('- Duration: 35 min');
    const entry = (await t.api.get(`/api/v1/incidents/${key}/document`).query({ template: 'weekly-entry' }).expect(200)).text;
    expect(entry).to.contain('3/15 10:00~10:35');

    const report = (await t.api.get('/api/v1/reports/weekly').query({ week: '2023-W11', format: 'json' }).expect(200)).body;
    expect(report.incidents.find((i: { key: string }) => i.key === key).impactMinutes).to.equal(35);
    expect(report.customerFacing.minutes).to.equal(35);
  });

  it('names a customer-facing incident in services mapped to no system instead of leaving it out silently', async () => {
    const report = (await t.api.get('/api/v1/reports/weekly').query({ week: '2023-W11', format: 'json' }).expect(200)).body;
    expect(report.availability.systems[0].period.downMinutes).to.equal(0);
    expect(report.availability.unmapped).to.deep.equal({ count: 1, incidents: [{ key, services: ['payment-gateway', 'payments-api'] }] });

    const zh = (await t.api.get('/api/v1/reports/weekly').query({ week: '2023-W11', locale: 'zh-CN' }).expect(200)).text;
    // Each named incident is a link to its page.
    const url = `${t.config.BASE_URL}/incidents/${key}`;
    expect(zh).to.contain(`- 1 起影响客户的事故所涉服务未归入任何系统，未计入可用性：[${key}](${url})（payment-gateway、payments-api）`);
    const en = (await t.api.get('/api/v1/reports/stability').query({ from: '2023-03-13', to: '2023-03-19', locale: 'en' }).expect(200)).text;
    expect(en).to.contain(`- 1 customer-facing incident in services not mapped to a system, counted in no availability: [${key}](${url}) (payment-gateway, payments-api)`);
    const page = (await t.api.get('/reports/stability').query({ from: '2023-03-13', to: '2023-03-19' }).set('Accept', 'text/html').expect(200)).text;
    expect(page).to.contain(`<a href="${url}">${key}</a>`);
  });

  it('counts the incident toward the system the catalog maps one of its services to, with the same 35 minutes', async () => {
    await t.api.post('/api/v1/services').send({ name: 'payment-gateway', ownerTeam: 'payments', system: '支付系统' }).expect(201);
    const report = (await t.api.get('/api/v1/reports/stability').query({ from: '2023-03-13', to: '2023-03-19', format: 'json' }).expect(200)).body;
    const pay = report.availability.systems.find((s: { name: string }) => s.name === '支付系统');
    expect(pay.period).to.include({ downMinutes: 35 });
    expect(pay.period.incidents).to.deep.equal([key]);
    expect(report.availability.unmapped.count).to.equal(0);
    const zh = (await t.api.get('/api/v1/reports/stability').query({ from: '2023-03-13', to: '2023-03-19', locale: 'zh-CN' }).expect(200)).text;
    expect(zh).to.match(/- 支付系统：本期 99\.65\d*%（影响 35 分钟：/);
    expect(zh).to.contain('（影响 35 分钟：');
    expect(zh).to.not.contain('未归入任何系统');
    const before = (await t.api.get('/api/v1/reports/charts/availability').query({ week: '2023-W11', format: 'json' }).expect(200)).body;
    expect(before.series.map((s: { label: string }) => s.label)).to.deep.equal(['支付系统']);

    // A system only the catalog names is reported too; mapping the service to none takes it out again, and names it.
    await t.api.patch('/api/v1/services/payment-gateway').send({ version: 0, system: '网关' }).expect(200);
    const moved = (await t.api.get('/api/v1/reports/weekly').query({ week: '2023-W11', format: 'json' }).expect(200)).body;
    expect(moved.availability.systems.map((s: { name: string }) => s.name)).to.deep.equal(['支付系统', '网关']);
    expect(moved.availability.systems[1].period.downMinutes).to.equal(35);
    const chart = (await t.api.get('/api/v1/reports/charts/availability').query({ week: '2023-W11', format: 'json' }).expect(200)).body;
    expect(chart.series.map((s: { label: string }) => s.label)).to.deep.equal(['支付系统', '网关']);
    await t.api.patch('/api/v1/services/payment-gateway').send({ version: 1, system: null }).expect(200);
    const none = (await t.api.get('/api/v1/reports/weekly').query({ week: '2023-W11', format: 'json' }).expect(200)).body;
    expect(none.availability.unmapped.count).to.equal(1);
  });
  it('links the first ten unmapped incidents in the report text and counts the rest, while the JSON lists them all', async () => {
    const filed: string[] = [];
    for (let n = 0; n < 12; n++) {
      const day = String(6 + (n % 6)).padStart(2, '0');
      const outage = { ...fixture('tidb-sync'), title: `账务延迟 ${n}`, severity: 'C', services: ['ledger'], window: { startedAt: `2023-03-${day}T09:00`, resolvedAt: `2023-03-${day}T09:20` }, impact: { summary: '账务延迟', customerFacing: true } };
      filed.push((await t.api.post('/api/v1/incidents').send(outage).expect(201)).body.key);
    }
    const json = (await t.api.get('/api/v1/reports/weekly').query({ week: '2023-W10', format: 'json' }).expect(200)).body;
    expect(json.availability.unmapped.count).to.equal(12);
    expect(json.availability.unmapped.incidents.map((i: { key: string }) => i.key)).to.deep.equal([...filed].sort());

    const en = (await t.api.get('/api/v1/reports/weekly').query({ week: '2023-W10', locale: 'en' }).expect(200)).text;
    const line = en.split('\n').find((l: string) => l.includes('not mapped to a system'))!;
    expect(line).to.match(/^- 12 customer-facing incidents in services not mapped to a system/);
    expect(line.match(/\]\(/g)).to.have.length(10);
    expect(line).to.match(/\(ledger\) and 2 more$/);
    const zh = (await t.api.get('/api/v1/reports/stability').query({ from: '2023-03-06', to: '2023-03-12', locale: 'zh-CN' }).expect(200)).text;
    expect(zh).to.match(/（ledger）等，另有 2 起\n/);
  });
});

describe('availability over long and unended impacts', () => {
  let t: TestContext;
  const outage = (title: string, window: Record<string, string>, status = 'resolved') => ({
    ...fixture('tidb-sync'),
    title,
    status,
    severity: 'B',
    services: ['payment'],
    window,
    impact: { summary: title, customerFacing: true },
  });
  before(async () => {
    t = await createTestContext('reports_long_impact', { AVAILABILITY_SYSTEMS: '支付系统=payment' });
    t.clock.set('2023-05-10T12:00:00+08:00');
    // Eleven days, 2023-04-03 10:00 to 04-14 10:00 in Shanghai; and one still going since 05-01 12:00.
    await t.api.post('/api/v1/incidents').send(outage('支付通道降级', { startedAt: '2023-04-03T10:00', mitigatedAt: '2023-04-14T10:00', resolvedAt: '2023-04-14T11:00' })).expect(201);
    await t.api.post('/api/v1/incidents').send(outage('对账持续失败', { startedAt: '2023-05-01T12:00' }, 'investigating')).expect(201);
  });
  after(() => t.close());

  const payment = async (from: string, to: string) =>
    (await t.api.get('/api/v1/reports/stability').query({ from, to, tz: 'Asia/Shanghai', format: 'json' }).expect(200)).body.availability.systems.find((s: { name: string }) => s.name === '支付系统');

  it('counts an impact of more than a week in every week it touches, from the week it started to the week it ended', async () => {
    expect((await payment('2023-04-03', '2023-04-09')).period.downMinutes).to.equal(7 * 1440 - 600);
    // The second week: Monday 00:00 to Friday 10:00.
    expect((await payment('2023-04-10', '2023-04-16')).period.downMinutes).to.equal(4 * 1440 + 600);
    expect((await payment('2023-04-17', '2023-04-23')).period.downMinutes).to.equal(0);
  });

  it('counts an impact not yet over until now, and both in the year to date', async () => {
    const week = await payment('2023-05-08', '2023-05-14');
    // Monday 00:00 to Wednesday 12:00, now.
    expect(week.period.downMinutes).to.equal(2.5 * 1440);
    expect(week.yearToDate.downMinutes).to.equal(11 * 1440 + 9 * 1440);
  });

  it('shows in the availability chart, week by week, the percent the report gives each week', async () => {
    // Seven weeks, Monday to Sunday: the eleven days fall in the second and third, the unended impact in the last two.
    const mondays = ['2023-03-27', '2023-04-03', '2023-04-10', '2023-04-17', '2023-04-24', '2023-05-01', '2023-05-08'];
    const sunday = (monday: string) => new Date(Date.parse(monday) + 6 * 86_400_000).toISOString().slice(0, 10);
    const chart = (await t.api.get('/api/v1/reports/charts/availability').query({ from: mondays[0], to: sunday(mondays.at(-1)!), tz: 'Asia/Shanghai', format: 'json' }).expect(200)).body;
    expect(chart.categories).to.have.length(mondays.length);
    const percents = await Promise.all(mondays.map(async (monday) => (await payment(monday, sunday(monday))).period.percent));
    expect(chart.series.find((s: { label: string }) => s.label === '支付系统').values).to.deep.equal(percents);
    expect(percents.slice(0, 5)).to.deep.equal([100, round4(100 * (1 - (7 * 1440 - 600) / (7 * 1440))), round4(100 * (1 - (4 * 1440 + 600) / (7 * 1440))), 100, 100]);
    expect(percents[5]).to.be.below(100);
  });
});

const round4 = (n: number) => Math.round(n * 1e4) / 1e4;

describe('availability of many weeks at once', () => {
  // A small generator with a fixed seed: the same impacts every run.
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const HOUR = 3_600_000;
  const t0 = Date.UTC(2023, 0, 2);
  const impacts: FacingImpact[] = Array.from({ length: 400 }, (_, i) => {
    const start = t0 + Math.floor(next() * 20 * 7 * 24) * HOUR;
    const length = [0.5, 3, 30, 24 * 9, 24 * 40][i % 5]! * HOUR * next();
    // One in ten not over; one in forty ending before it started (a mistyped time).
    const end = i % 10 === 3 ? Infinity : i % 40 === 7 ? start - HOUR : start + Math.round(length);
    return { doc: { key: `INC-${i}`, services: [['payment'], ['ledger'], ['payment', 'risk']][i % 3] } as IncidentDoc, start, end, approximate: i % 7 === 2 };
  });
  const systems = [{ services: ['payment'] }, { services: ['ledger', 'risk'] }, { services: ['payment', 'risk'] }];
  const weeks = Array.from({ length: 24 }, (_, k) => ({ start: t0 + k * 7 * 24 * HOUR, end: t0 + (k + 1) * 7 * 24 * HOUR }));

  it("gives each system the impacts that name one of its services, once each, in the order given, and those of no system", () => {
    const of = (places: Int32Array) => Array.from(places, (p) => impacts[p]);
    const { bySystem, unmapped } = impactsBySystem(impacts, systems);
    const [payment, ledgerOrRisk, paymentOrRisk] = bySystem.map(of);
    const naming = (services: string[]) => impacts.filter((i) => i.doc.services!.some((s) => services.includes(s)));
    expect(payment).to.deep.equal(naming(['payment']));
    expect(ledgerOrRisk).to.deep.equal(naming(['ledger', 'risk']));
    // Those naming payment and risk are there once.
    expect(paymentOrRisk).to.deep.equal(naming(['payment', 'risk']));
    expect(paymentOrRisk).to.have.length(impacts.filter((_, i) => i % 3 !== 1).length);
    expect(of(unmapped)).to.deep.equal([]);
    // With payment alone mapped, the ledger's impacts are of no system.
    expect(of(impactsBySystem(impacts, [{ services: ['payment'] }]).unmapped)).to.deep.equal(impacts.filter((i) => !i.doc.services!.includes('payment')));
  });

  // The definition, impact by impact: the union of the windows that touch the range, each lasting until the range's end or now when not ended.
  const byDefinition = (list: FacingImpact[], range: Range, now: number) => {
    // An impact not ended lasts until the range's end, or now when earlier.
    const until = Math.min(now, range.end);
    const endOf = (i: FacingImpact) => (i.end === Infinity ? until : i.end);
    const touched = list.filter((i) => endOf(i) > range.start && i.start < range.end);
    // The windows clipped to the range, in order of start, each adding what it covers past the ones before.
    const clipped = touched.map((i) => [Math.max(i.start, range.start), Math.min(endOf(i), range.end)] as const).sort((a, b) => a[0] - b[0]);
    let covered = 0;
    let reached = -Infinity;
    for (const [from, to] of clipped) {
      covered += Math.max(0, to - Math.max(from, reached));
      reached = Math.max(reached, to);
    }
    const minutes = Math.round(covered / 60_000);
    return {
      percent: round4(100 * (1 - minutes / ((range.end - range.start) / 60_000))),
      downMinutes: minutes,
      approximate: touched.some((i) => i.approximate),
      incidents: touched.map((i) => i.doc.key).sort(),
    };
  };
  // Ranges of every length: the weeks, a quarter, the whole span, and ones starting mid-week.
  const ranges = [...weeks, { start: t0, end: t0 + 13 * 7 * 24 * HOUR }, { start: t0 - 7 * 24 * HOUR, end: t0 + 30 * 7 * 24 * HOUR }, { start: t0 + 3.5 * 24 * HOUR, end: t0 + 45.25 * 24 * HOUR }];

  for (const [label, now] of [['after every week', t0 + 30 * 7 * 24 * HOUR], ['in the middle of a week', t0 + 10.5 * 7 * 24 * HOUR], ['before the first', t0 - HOUR]] as const) {
    it(`gives each range the availability, minutes and incidents of the definition, now ${label}`, () => {
      // One set of columns for every index, as the reports build them.
      const columns = impactColumns(impacts);
      const { bySystem, unmapped } = impactsBySystem(impacts, [systems[0]!]);
      for (const places of [undefined, ...bySystem, unmapped]) {
        const index = indexImpacts(columns, places);
        const expected = ranges.map((r) => byDefinition(places ? Array.from(places, (p) => impacts[p]!) : impacts, r, now));
        expect(ranges.map((r) => downtime(index, r, now))).to.deep.equal(expected);
        expect(availabilityByRange(index, ranges, now)).to.deep.equal(expected.map((e) => e.percent));
        // Something to count: the ranges are not all up.
        if (now > t0) expect(expected.some((e) => e.downMinutes > 0 && e.incidents.length > 1)).to.equal(true);
      }
    });
  }
});
