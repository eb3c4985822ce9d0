import { expect } from 'chai';
import { DateTime } from 'luxon';
import { createTestContext, type TestContext } from '../support/context.js';

/**
 * A generated year of incidents and corrective actions, filed and closed in time order with the clock
 * moving, and every number of the period report computed again here by other means (minute by minute
 * sets for availability, plain loops for the rest): periods whose days start in different zones, day-
 * precision starts, and incidents that span a period's edges.
 */
const SLA = { high: 28, medium: 56, low: 90 } as const;
const SERVICES = ['payment', 'settlement', 'billing', 'search'];
const CAUSES = ['磁盘写满', 'certificate expired', 'Connection pool exhausted', '配置错误', 'DNS outage', '依赖超时'];
const LEVELS = ['A', 'B', 'C', 'D', 'E'];
const MIN = 60_000;

/** A small seeded generator, so the year is the same on every run. */
function random(seed: number) {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]! };
}

interface Gen {
  title: string;
  key?: string;
  zone: string;
  severity: string;
  services: string[];
  cause: string;
  customerFacing: boolean;
  dayPrecision: boolean;
  start: number;
  detected?: number;
  mitigated?: number;
  resolved: number;
  actions: { priority: keyof typeof SLA; doneAt?: number; key?: string }[];
}

function generateYear(): Gen[] {
  const r = random(2023);
  const out: Gen[] = [];
  for (let n = 0; n < 140; n++) {
    const zone = r.next() < 0.8 ? 'Asia/Shanghai' : 'Europe/Berlin';
    // Every fifth starts half an hour after local midnight on a Monday: Sunday still in UTC.
    const day = DateTime.fromISO('2023-01-01', { zone }).plus({ days: r.int(0, 364) });
    const local = n % 5 === 0 ? day.set({ weekday: 1, hour: 0, minute: 30 }) : day.set({ hour: r.int(0, 23), minute: r.int(0, 59) });
    const dayPrecision = n % 7 === 3;
    const start = local.toMillis();
    const detected = r.next() < 0.6 ? start + r.int(0, 900) * MIN : undefined;
    const mitigated = r.next() < 0.5 ? (detected ?? start) + r.int(5, 600) * MIN : undefined;
    const resolved = (mitigated ?? detected ?? start) + r.int(10, 4000) * MIN;
    const actions = Array.from({ length: r.next() < 0.4 ? r.int(1, 2) : 0 }, () => ({
      priority: r.pick(['high', 'medium', 'low'] as const),
      doneAt: r.next() < 0.6 ? resolved + r.int(2, 100) * 1440 * MIN + r.int(0, 1439) * MIN : undefined,
    }));
    out.push({
      title: `gen-${String(n).padStart(3, '0')}`,
      zone,
      severity: r.pick(LEVELS),
      services: r.next() < 0.3 ? [r.pick(SERVICES), r.pick(SERVICES)].filter((s, i, a) => a.indexOf(s) === i) : [r.pick(SERVICES)],
      cause: r.pick(CAUSES),
      customerFacing: r.next() < 0.6,
      dayPrecision,
      start: dayPrecision ? DateTime.fromMillis(start, { zone }).startOf('day').toMillis() : start,
      detected,
      mitigated,
      resolved,
      actions,
    });
  }
  return out;
}

const localText = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");
const localDate = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toISODate()!;

function body(g: Gen) {
  return {
    title: g.title,
    severity: g.severity,
    status: 'resolved',
    timezone: g.zone,
    services: g.services,
    window: {
      startedAt: g.dayPrecision ? localDate(g.start, g.zone) : localText(g.start, g.zone),
      ...(g.detected ? { detectedAt: localText(g.detected, g.zone) } : {}),
      ...(g.mitigated ? { mitigatedAt: localText(g.mitigated, g.zone) } : {}),
      resolvedAt: localText(g.resolved, g.zone),
    },
    impact: { summary: g.title, customerFacing: g.customerFacing },
    cause: { rootCauses: [g.cause] },
    actions: g.actions.map((a, i) => ({ title: `${g.title} fix ${i + 1}`, type: 'prevent', priority: a.priority })),
  };
}

/** Median and p90 by their definition here: the value at rank (n - 1) * q, interpolated. */
function quantile(values: number[], q: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * q;
  const below = sorted[Math.floor(rank)]!;
  const above = sorted[Math.ceil(rank)]!;
  return Math.round(below + (above - below) * (rank - Math.floor(rank)));
}

/** Everything the report should say about [from, to] (dates in `zone`), worked out minute by minute and loop by loop. */
function expected(year: Gen[], from: string, to: string, zone: string, systems: Record<string, string[]>) {
  const start = DateTime.fromISO(from, { zone }).toMillis();
  const end = DateTime.fromISO(to, { zone }).plus({ days: 1 }).toMillis();
  const noticed = (g: Gen) => g.detected ?? g.start;
  const inPeriod = year.filter((g) => noticed(g) >= start && noticed(g) < end);
  const downMinutes = (services: string[] | undefined, from: number, until: number) => {
    const minutes = new Set<number>();
    for (const g of year) {
      if (!g.customerFacing || (services && !g.services.some((s) => services.includes(s)))) continue;
      for (let m = Math.max(g.start, from); m < Math.min(g.mitigated ?? g.resolved, until); m += MIN) minutes.add(m);
    }
    return minutes.size;
  };
  const yearStart = DateTime.fromISO(to, { zone }).startOf('year').toMillis();
  const actions = year.flatMap((g) =>
    g.actions.map((a) => ({ ...a, opened: g.resolved, due: DateTime.fromMillis(g.resolved, { zone: g.zone }).plus({ days: SLA[a.priority] }).toISODate()!, zone: g.zone })),
  );
  const openAt = (a: (typeof actions)[number], t: number) => a.opened <= t && !(a.doneAt !== undefined && a.doneAt <= t);
  const last = end - 1;
  // Each repeat with every earlier incident it repeats: it names the ten most recent (noticed, then key) and counts them all.
  const repeats = inPeriod
    .map((g) => {
      const earlier = year
        .filter((h) => h !== g && noticed(h) <= noticed(g) && noticed(g) - noticed(h) <= 90 * 1440 * MIN && h.cause === g.cause && h.services.some((s) => g.services.includes(s)) && !(noticed(h) === noticed(g) && h.key! > g.key!))
        .sort((x, y) => noticed(y) - noticed(x) || (y.key! < x.key! ? -1 : 1));
      return { key: g.key!, count: earlier.length, previous: earlier.slice(0, 10).map((h) => h.key!).sort() };
    })
    .filter((r) => r.count > 0)
    .sort((x, y) => (x.key < y.key ? -1 : 1));
  return {
    titles: inPeriod.map((g) => g.title).sort(),
    bySeverity: LEVELS.map((level) => inPeriod.filter((g) => g.severity === level).length),
    buckets: [inPeriod.filter((g) => 'AB'.includes(g.severity)).length, inPeriod.filter((g) => 'CD'.includes(g.severity)).length],
    customerFacingMinutes: downMinutes(undefined, start, end),
    systems: Object.fromEntries(Object.entries(systems).map(([name, services]) => [name, { period: downMinutes(services, start, end), year: downMinutes(services, yearStart, end), periodMinutes: (end - start) / MIN }])),
    resolve: { median: quantile(inPeriod.map((g) => (g.resolved - g.start) / MIN), 0.5), p90: quantile(inPeriod.map((g) => (g.resolved - g.start) / MIN), 0.9), approximate: inPeriod.filter((g) => g.dayPrecision).length },
    detect: { count: inPeriod.filter((g) => g.detected).length },
    actions: {
      opened: actions.filter((a) => a.opened >= start && a.opened < end).length,
      closed: actions.filter((a) => a.doneAt !== undefined && a.doneAt >= start && a.doneAt < end).length,
      closedWithinSla: actions.filter((a) => a.doneAt !== undefined && a.doneAt >= start && a.doneAt < end && localDate(a.doneAt, a.zone) <= a.due).length,
      open: actions.filter((a) => openAt(a, last)).length,
      overdue: actions.filter((a) => openAt(a, last) && localDate(last, a.zone) > a.due).length,
    },
    repeats,
  };
}

describe('period report over a generated year', () => {
  let t: TestContext;
  const year = generateYear();
  const systems = { 支付系统: ['payment'], 清结算: ['settlement', 'billing'] };
  before(async function () {
    this.timeout(180_000);
    t = await createTestContext('reports_year', { WEEK_NUMBERING: 'jan1', AVAILABILITY_SYSTEMS: '支付系统=payment;清结算=settlement,billing' });
    // File each postmortem a day after the resolution and mark actions done when they were, in time order.
    const events = [
      ...year.map((g) => ({ at: g.resolved + 1440 * MIN, run: async () => {
        const created = (await t.api.post('/api/v1/incidents').send(body(g)).expect(201)).body;
        g.key = created.key;
        g.actions.forEach((a, i) => (a.key = `${created.key}-A${i + 1}`));
      } })),
      ...year.flatMap((g) => g.actions.filter((a) => a.doneAt !== undefined).map((a) => ({ at: a.doneAt!, run: async () => {
        await t.api.post(`/api/v1/actions/${a.key}/transitions`).send({ to: 'done', note: 'fixed', evidence: 'https://git.example/mr' }).expect(200);
      } }))),
    ].sort((a, b) => a.at - b.at);
    t.clock.set('2023-01-01T00:00:00Z');
    for (const e of events) {
      // An action done before its incident was filed is done right after filing.
      t.clock.set(new Date(Math.max(e.at, t.clock.now().getTime())));
      await e.run();
    }
    t.clock.set('2024-06-01T00:00:00Z');
  });
  after(() => t.close());

  const check = async (from: string, to: string, zone: string) => {
    const want = expected(year, from, to, zone, systems);

    const { body: got } = await t.api.get('/api/v1/reports/stability').query({ from, to, tz: zone, format: 'json' }).expect(200);
    expect(got.incidents.map((i: { title: string }) => i.title).sort(), 'incidents').to.deep.equal(want.titles);
    expect(got.bySeverity.map((s: { count: number }) => s.count), 'by severity').to.deep.equal(want.bySeverity);
    expect(got.accidents.buckets.map((b: { count: number }) => b.count), 'AB, CD').to.deep.equal(want.buckets);
    expect(got.customerFacing.minutes, 'customer-facing minutes').to.equal(want.customerFacingMinutes);
    for (const s of got.availability.systems) {
      const w = want.systems[s.name as keyof typeof systems]!;
      expect(s.period.downMinutes, `${s.name} period`).to.equal(w.period);
      expect(s.yearToDate.downMinutes, `${s.name} year`).to.equal(w.year);
      expect(s.period.percent, `${s.name} %`).to.be.closeTo((1 - w.period / w.periodMinutes) * 100, 0.0001);
    }
    expect(got.timeTo.resolve, 'time to resolve').to.include({ medianMinutes: want.resolve.median, p90Minutes: want.resolve.p90, approximate: want.resolve.approximate });
    expect(got.timeTo.detect.count, 'detected').to.equal(want.detect.count);
    const counts = Object.fromEntries(Object.entries(got.actions).map(([k, v]) => [k, (v as { count: number }).count]));
    for (const [k, v] of Object.entries(want.actions)) expect(counts[k], `actions ${k}`).to.equal(v);
    expect(got.repeats.map((r: { key: string; count: number; previous: string[] }) => ({ key: r.key, count: r.count, previous: r.previous })).sort((x: { key: string }, y: { key: string }) => (x.key < y.key ? -1 : 1)), 'repeats').to.deep.equal(want.repeats);
    return got;
  };

  it('a quarter in Shanghai: counts, availability minute by minute, time to resolve, actions as of its end, repeats', async () => {
    const got = await check('2023-01-01', '2023-03-31', 'Asia/Shanghai');
    expect(got.incidents.length).to.be.greaterThan(20);
    expect(got.actions.opened.count).to.be.greaterThan(3);
    expect(got.repeats.length).to.be.greaterThan(0);
  });

  it('a Monday-to-Sunday range read in Shanghai holds the Monday-00:30 incident; read in UTC (still Sunday there) it does not', async () => {
    const early = year.find((g) => g.zone === 'Asia/Shanghai' && !g.detected && !g.dayPrecision && DateTime.fromMillis(g.start, { zone: 'Asia/Shanghai' }).toFormat('c HH:mm') === '1 00:30')!;
    const monday = localDate(early.start, 'Asia/Shanghai');
    const sunday = DateTime.fromISO(monday).plus({ days: 6 }).toISODate()!;
    const shanghai = await check(monday, sunday, 'Asia/Shanghai');
    const utc = await check(monday, sunday, 'UTC');
    expect(shanghai.incidents.map((i: { title: string }) => i.title)).to.include(early.title);
    expect(utc.incidents.map((i: { title: string }) => i.title)).not.to.include(early.title);
  });

  it('every jan1 week of the year, each incident in exactly one of them', async () => {
    const seen = new Map<string, number>();
    for (let n = 1; n <= 53; n++) {
      const { body: got } = await t.api.get('/api/v1/reports/stability').query({ week: `2023-${String(n).padStart(2, '0')}`, format: 'json' }).expect(200);
      const want = expected(year, got.period.from, got.period.to, 'Asia/Shanghai', systems);
      expect(got.incidents.map((i: { title: string }) => i.title).sort(), `week ${n}`).to.deep.equal(want.titles);
      expect(got.actions.overdue.count, `week ${n} overdue`).to.equal(want.actions.overdue);
      for (const i of got.incidents) seen.set(i.title, (seen.get(i.title) ?? 0) + 1);
    }
    // 2023's jan1 weeks, Sunday to Saturday: 2022-12-25 to 2023-12-30.
    const [first, last] = [DateTime.fromISO('2022-12-25', { zone: 'Asia/Shanghai' }).toMillis(), DateTime.fromISO('2023-12-31', { zone: 'Asia/Shanghai' }).toMillis()];
    const inWeeks = year.filter((g) => (g.detected ?? g.start) >= first && (g.detected ?? g.start) < last);
    expect([...seen.values()].every((n) => n === 1)).to.equal(true);
    expect(seen.size).to.equal(inWeeks.length);
  });

  it('the actions chart counts the openings and closings of each week as they happened', async () => {
    // 2023's 53 jan1 weeks, whole (2022-12-25 to 2023-12-30), in two charts (a chart covers a year at most).
    const weekly = async (from: DateTime, weeks: number) =>
      (await t.api.get('/api/v1/reports/charts/actions-opened-closed').query({ from: from.toISODate(), to: from.plus({ weeks, days: -1 }).toISODate(), format: 'json', locale: 'en' }).expect(200)).body;
    const first = DateTime.fromISO('2022-12-25');
    const [a, b] = [await weekly(first, 27), await weekly(first.plus({ weeks: 27 }), 26)];
    expect([...a.categories, ...b.categories]).to.have.length(53);
    const series = (k: number): number[] => [...a.series[k].values, ...b.series[k].values];
    const [opened, closed] = [series(0), series(1)];
    for (let n = 0; n < 53; n++) {
      const from = first.plus({ weeks: n });
      const want = expected(year, from.toISODate()!, from.plus({ days: 6 }).toISODate()!, 'Asia/Shanghai', systems).actions;
      expect([opened[n], closed[n]], `week ${n + 1}`).to.deep.equal([want.opened, want.closed]);
    }
    expect(opened.reduce((x, y) => x + y)).to.be.greaterThan(20);
    expect(closed.reduce((x, y) => x + y)).to.be.greaterThan(10);
  });

  it('a whole year and a few odd ranges agree too', async () => {
    await check('2023-01-01', '2023-12-31', 'Asia/Shanghai');
    await check('2023-02-27', '2023-03-02', 'Europe/Berlin');
    await check('2023-11-15', '2023-12-31', 'UTC');
  });
});
