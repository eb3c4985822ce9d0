import { DateTime } from 'luxon';
import type { ServiceCatalog } from '../catalog/service.js';
import type { RenderedDocuments } from '../documents/rendered.js';
import type { Renderer } from '../documents/renderer.js';
import type { IncidentDoc } from '../incidents/model.js';
import { BadRequest } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { buildChart, countedInCharts, escapeHtml, renderSvg, type Chart, type ChartName } from './charts.js';
import { actionCounts, downtime, durationsOf, noticedBetween, repeats, timeTo, touchingIn } from './compute.js';
import { incidentActionsBefore, readPeriod, type Reads } from './data.js';
import type { ReportData, ResolvedPeriod } from './period.js';
import type { PeriodMetrics } from './metrics.js';
import type { PeriodQuery, ReportQuery, StabilityReport } from './schemas.js';
import { parseWeek, shiftWeek, weekHint, weekOf, weekRule, type Week } from './weeks.js';
import { zoneNamed } from '../lib/time.js';

/**
 * How incidents are counted, from SEVERITY_LEVELS (most severe first). The seed report writes
 * "事故数AB级N次，CD级N次" and lists E-level incidents only as 生产稳定性事件: so the last level is a
 * stability event, not an accident, and the levels above it split into a more and a less severe half.
 * A,B,C,D,E → AB | CD, E events; A,B,C,D → AB | C, D events; a single level → events only.
 */
export function severityBuckets(levels: string[]): { buckets: { label: string; levels: string[] }[]; stability: string[] } {
  const accidents = levels.slice(0, -1);
  const half = Math.ceil(accidents.length / 2);
  const label = (ls: string[]) => ls.join(ls.every((l) => l.length === 1) ? '' : '/');
  return {
    buckets: [accidents.slice(0, half), accidents.slice(half)].filter((ls) => ls.length).map((ls) => ({ label: label(ls), levels: ls })),
    stability: levels.slice(-1),
  };
}


/**
 * The minute a period's numbers are as of: now, or the period's end once it is over. They depend on the
 * time only through it, so what is kept for a past period holds until the data changes.
 */
function asOfMinute(period: ResolvedPeriod, now: number): number {
  return Math.floor(Math.min(now, period.range.end) / 60_000);
}
const CHARTS_IN_PRINT = ['incidents-by-week', 'time-to-resolve', 'actions-opened-closed', 'availability'] as const;
/** The report text links this many unmapped incidents and counts the rest: a paragraph of hundreds of links is not read (the JSON lists them all). */
const UNMAPPED_LINKED = 10;


export type ReportTemplate = 'weekly' | 'stability';

/** The manager's stability reports: the weekly section in the team's shape, and the period report for reviews. */
export class ReportsService {
  constructor(
    private readonly deps: {
      reads: Reads;
      catalog: ServiceCatalog;
      metrics: PeriodMetrics;
      renderer: Renderer;
      rendered: RenderedDocuments;
      clock: Clock;
      config: Config;
    },
  ) {}

  /** A week (in WEEK_NUMBERING), a date range, or this week, in the zone asked for (DEFAULT_TIMEZONE). */
  period(q: PeriodQuery & { timezone?: string; tz?: string }): ResolvedPeriod {
    const { config, clock } = this.deps;
    const rule = weekRule(config);
    const zone = q.timezone ?? q.tz ?? config.DEFAULT_TIMEZONE;
    let week: Week | undefined;
    if (q.week) {
      week = parseWeek(q.week, rule);
      if (!week) throw new BadRequest('Invalid query', [{ field: 'week', message: `no such week; must be ${weekHint(rule)}` }]);
    } else if (!q.from) {
      week = weekOf(DateTime.fromJSDate(clock.now(), { zone: zoneNamed(zone) }).toISODate()!, rule);
    }
    const from = week?.from ?? q.from!;
    const to = week?.to ?? q.to!;
    // Days start in the report's zone: 2023-02-06 01:00 in Shanghai is still 2/5 in UTC.
    const start = DateTime.fromISO(from, { zone: zoneNamed(zone) }).toMillis();
    const end = DateTime.fromISO(to, { zone: zoneNamed(zone) }).plus({ days: 1 }).toMillis();
    return { ...(week ? { week } : {}), from, to, zone, range: { start, end } };
  }

  get config(): Config {
    return this.deps.config;
  }

  /** The `count` weeks up to this one, as a date range (charts default to these). */
  lastWeeks(count: number, q: { timezone?: string; tz?: string }): { from: string; to: string } {
    return this.lastWeeksBefore(this.period({ timezone: q.timezone, tz: q.tz }).week!, count);
  }

  /** The `count` weeks ending with `week`, as a date range. */
  lastWeeksBefore(week: Week, count: number): { from: string; to: string } {
    return { from: shiftWeek(week, 1 - count, weekRule(this.deps.config)).from, to: week.to };
  }

  /** The weeks around one, for paging. */
  neighbours(week: Week): { previous: Week; next: Week } {
    const rule = weekRule(this.deps.config);
    return { previous: shiftWeek(week, -1, rule), next: shiftWeek(week, 1, rule) };
  }

  /**
   * What a report or chart reads: the customer-facing impacts indexed (availability and impact in any
   * range), every incident in the order noticed, and the timeline of every action.
   */
  async load(): Promise<ReportData> {
    // The mapping first: the records then come from one moment of the read model (readPeriod).
    const systems = await this.deps.catalog.systems();
    return { ...(await readPeriod(this.deps.reads, systems)), systems, now: this.deps.clock.now().getTime() };
  }

  async report(q: ReportQuery): Promise<StabilityReport> {
    const period = this.period(q);
    return this.compute(period, await this.load(), q.date);
  }

  /** The report from data already read. */
  async compute(period: ResolvedPeriod, data: ReportData, date?: string): Promise<StabilityReport> {
    const { config, metrics } = this.deps;
    const { range, zone } = period;
    const { now } = data;
    const noticed = noticedBetween(data.noticed.all, range.start, range.end);

    const { buckets, stability } = severityBuckets(config.SEVERITY_LEVELS);
    const bucketOf = (severity: string) => buckets.find((b) => b.levels.includes(severity))?.label ?? null;
    const repeated = new Map(repeats(noticed, data.noticed).map((r) => [r.key, r]));
    const incidents = noticed.map((d) => {
      const countedBy = d.window?.detectedAt ? ('detectedAt' as const) : ('startedAt' as const);
      return {
        key: d.key,
        title: d.title,
        severity: d.severity,
        status: d.status,
        bucket: bucketOf(d.severity),
        countedBy,
        at: d.window![countedBy]!.at.toISOString(),
        customerFacing: !!d.impact?.customerFacing,
        impactMinutes: durationsOf(d).impactDuration?.minutes ?? null,
        repeatOf: repeated.get(d.key)?.previous ?? [],
      };
    });

    // Year to date: from 1 January of the period's last day, in the report's zone.
    const yearStart = DateTime.fromISO(period.to, { zone: zoneNamed(zone) }).startOf('year').toMillis();
    const ytd = { start: yearStart, end: Math.min(range.end, Math.max(now, yearStart)) };
    const { impacts } = data;
    const systems = data.systems.map((s, n) => {
      const yearDown = downtime(impacts.bySystem[n]!, ytd, now);
      return { name: s.name, services: s.services, period: downtime(impacts.bySystem[n]!, range, now), yearToDate: yearDown, meetsTarget: yearDown.percent >= config.AVAILABILITY_TARGET };
    });
    // Every customer-facing impact, whichever system (overlaps counted once).
    const facing = downtime(impacts.all, range, now);
    // Named on the report rather than left out of every system's availability without a word.
    const unmapped = touchingIn(impacts.unmapped, range, now).impacts.map((i) => ({ key: i.doc.key, services: i.doc.services ?? [] }));

    // Kept until actions change, for the minute while the period lasts (the open and overdue counts are as of now).
    const counts = this.deps.reads.mirror.derived(`report-counts:${range.start}:${range.end}:${asOfMinute(period, now)}`, ['action'], () => actionCounts(data.timeline.columns, range, now));
    const keys = (list: string[]) => ({ count: list.length, keys: list });
    const [successRates, workItems] = await Promise.all([metrics.forPeriod(period), metrics.workItems(period)]);
    const today = DateTime.fromMillis(now, { zone: zoneNamed(zone) }).toISODate()!;

    return {
      period: {
        ...(period.week ? { week: period.week.label, weekNumber: period.week.number } : {}),
        from: period.from,
        to: period.to,
        timezone: zone,
        date: date ?? (today > period.to ? period.to : today),
        weekNumbering: config.WEEK_NUMBERING,
        weekDays: config.REPORT_WEEK_DAYS,
      },
      generatedAt: new Date(now).toISOString(),
      accidents: {
        total: incidents.filter((i) => i.bucket).length,
        buckets: buckets.map((b) => ({ ...b, count: incidents.filter((i) => i.bucket === b.label).length })),
      },
      stabilityEvents: { levels: stability, count: incidents.filter((i) => stability.includes(i.severity)).length },
      bySeverity: config.SEVERITY_LEVELS.map((level) => ({ level, count: incidents.filter((i) => i.severity === level).length })),
      incidents,
      successRates,
      availability: { target: config.AVAILABILITY_TARGET, systems, unmapped: { count: unmapped.length, incidents: unmapped } },
      customerFacing: { minutes: facing.downMinutes, approximate: facing.approximate, incidents: facing.incidents },
      timeTo: timeTo(noticed),
      repeats: [...repeated.values()],
      workItems,
      verifiedActions: counts.verified,
      actions: {
        opened: keys(counts.opened),
        closed: keys(counts.closed),
        closedWithinSla: keys(counts.closedWithinSla),
        open: counts.open,
        overdue: counts.overdue,
        unowned: counts.unowned,
      },
    };
  }

  /**
   * A chart of the period from its data (see load), kept until what it counts changes (actions for the
   * actions chart; for the others, an incident it counts, before or after the change), and for the
   * minute while the period lasts (an incident still open counts until now).
   */
  chart(name: ChartName, period: ResolvedPeriod, data: ReportData, locale: string): Chart {
    const key = `chart:${name}:${locale}:${period.from}:${period.to}:${period.zone}:${asOfMinute(period, data.now)}`;
    const build = () => buildChart(name, period, data, this.deps.config, locale);
    if (name === 'actions-opened-closed') return this.deps.reads.mirror.derived(key, ['action'], build);
    const counted = (d?: unknown) => !!d && countedInCharts(d as IncidentDoc, period.range);
    // Availability also moves with the catalog's mapping of services to systems.
    return this.deps.reads.mirror.derived(key, name === 'availability' ? ['incident', 'service'] : ['incident'], build, (kept, changes) => (changes.some((c) => counted(c.before) || counted(c.after)) ? build() : kept));
  }

  /**
   * The report as markdown or HTML. Each incident appears as its weekly-entry document, its times in
   * the report's zone (the header says which), in the report's locale when that template exists in it.
   * The page shows only the first entries (`shown`): the downloads and the email hold every one.
   */
  async render(q: ReportQuery & { format: 'md' | 'html' }, template: ReportTemplate = 'weekly', shown: { entries?: number } = {}): Promise<{ report: StabilityReport; text: string }> {
    const { renderer, config } = this.deps;
    const period = this.period(q);
    const data = await this.load();
    const report = await this.compute(period, data, q.date);
    const locale = q.locale ?? config.DEFAULT_LOCALE;
    const hasEntry = renderer.list().some((t) => t.kind === 'documents' && t.name === 'weekly-entry' && t.format === 'md' && (t.locale === locale || t.locale === null));
    const byKey = new Map(noticedBetween(data.noticed.all, period.range.start, period.range.end).map((d) => [d.key, d]));
    // With `shown.entries`, the first ones are written out and the rest counted, with a link to the incident list of those days.
    const listed = report.incidents.slice(0, shown.entries ?? report.incidents.length);
    const entries = listed.map((i) => {
      const doc = byKey.get(i.key)!;
      // The incident's actions that had entered the record by the period's end.
      const actions = incidentActionsBefore(data.timeline, doc.key, period.range.end).map((a) => this.deps.reads.actions.toView(a));
      return this.deps.rendered.render(doc, actions, { name: 'weekly-entry', locale: hasEntry ? locale : doc.locale, format: 'md', timezone: period.zone });
    });
    // Numbered as the seed does: the period's stability work first, then the events, then the actions.
    const work = report.workItems.length + report.verifiedActions.length;
    const view = {
      ...report,
      dateText: report.period.date.replaceAll('-', '/'),
      verifiedActions: report.verifiedActions.map((a, n) => ({ ...a, n: report.workItems.length + n + 1 })),
      numbers: { events: work + 1, actions: work + 2 },
      // The first unmapped incidents linked to their pages, where the services can be added to the catalog.
      availability: {
        ...report.availability,
        unmapped: {
          count: report.availability.unmapped.count,
          incidents: report.availability.unmapped.incidents.slice(0, UNMAPPED_LINKED).map((i) => ({ ...i, url: `${config.BASE_URL}/incidents/${encodeURIComponent(i.key)}` })),
          more: Math.max(0, report.availability.unmapped.count - UNMAPPED_LINKED),
        },
      },
      incidents: listed.map((i, n) => ({ ...i, entry: entries[n]! })),
      // A repeat names its most recent earlier incidents and counts the rest.
      repeats: report.repeats.map((r) => ({ ...r, more: r.count - r.previous.length })),
      incidentsMore:
        report.incidents.length > listed.length
          ? { count: report.incidents.length - listed.length, url: `${config.BASE_URL}/incidents?${new URLSearchParams({ from: period.from, to: period.to })}` }
          : undefined,
    };
    return { report, text: renderer.render({ kind: 'reports', name: template, locale, format: q.format, data: view, timezone: period.zone }) };
  }

  /**
   * The printable report with its charts as figures (SVG, each captioned with its text alternative),
   * and as plain text (markdown, then each chart's text): for print and for email.
   */
  async withCharts(q: ReportQuery, template: ReportTemplate): Promise<{ report: StabilityReport; subject: string; html: string; text: string; from: string; to: string }> {
    const { config } = this.deps;
    const locale = q.locale ?? config.DEFAULT_LOCALE;
    const [{ report, text: html }, { text: md }] = await Promise.all([this.render({ ...q, format: 'html' }, template), this.render({ ...q, format: 'md' }, template)]);
    const period = this.period(q);
    // A week's charts show the twelve weeks up to it; a range's, its own weeks.
    const chartPeriod = period.week ? this.period({ ...this.lastWeeksBefore(period.week, 12), timezone: period.zone }) : period;
    const data = await this.load();
    const charts = CHARTS_IN_PRINT.map((name) => this.chart(name, chartPeriod, data, locale));
    const figures = charts.map((c) => `<figure>${renderSvg(c)}<figcaption>${escapeHtml(c.text)}</figcaption></figure>`).join('\n');
    return {
      report,
      subject: md.split('\n', 1)[0]!.replace(/^#\s*/, ''),
      html: html.replace('</main>', `${figures}\n</main>`),
      text: `${md}\n${charts.map((c) => c.text).join('\n\n')}\n`,
      from: period.from,
      to: period.to,
    };
  }
}

