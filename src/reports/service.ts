import { DateTime } from 'luxon';
import type { ActionsService } from '../actions/service.js';
import { ACTION_STATUSES, CLOSED_ACTION_STATUSES, type ListActionsQuery } from '../actions/schemas.js';
import type { DocumentsService } from '../documents/service.js';
import type { Renderer } from '../documents/renderer.js';
import type { IncidentsService } from '../incidents/service.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { WeeklyQuery, WeeklyReport } from './schemas.js';

const OPEN_STATUSES = ACTION_STATUSES.filter((s) => !CLOSED_ACTION_STATUSES.includes(s));
/** Keys listed for "overdue now" and "unowned now" (their counts are always complete). */
const MAX_KEYS = 200;
const ISO_WEEK = "kkkk-'W'WW";

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

/** The manager's weekly stability report: the week's incidents, accident counts and corrective actions. */
export class ReportsService {
  constructor(
    private readonly deps: {
      incidents: IncidentsService;
      actions: ActionsService;
      documents: DocumentsService;
      renderer: Renderer;
      clock: Clock;
      config: Config;
    },
  ) {}

  async weekly(q: WeeklyQuery): Promise<WeeklyReport> {
    const { config, clock } = this.deps;
    const zone = q.timezone ?? config.DEFAULT_TIMEZONE;
    const now = clock.now();
    // Days start in the report's zone: an incident at 2023-02-06 01:00 Shanghai is in W06 there, not in W05 as UTC would say.
    const start = q.from ? DateTime.fromISO(q.from, { zone }) : q.week ? DateTime.fromISO(q.week, { zone }) : DateTime.fromJSDate(now, { zone }).startOf('week');
    const end = q.to ? DateTime.fromISO(q.to, { zone }).plus({ days: 1 }) : start.plus({ weeks: 1 });
    const [from, to] = [start.toJSDate(), end.toJSDate()];

    const { buckets, stability } = severityBuckets(config.SEVERITY_LEVELS);
    const bucketOf = (severity: string) => buckets.find((b) => b.levels.includes(severity))?.label ?? null;
    const docs = await this.deps.incidents.noticedBetween(from, to);
    const incidents = docs.map((d) => {
      const countedBy = d.window?.detectedAt ? ('detectedAt' as const) : ('startedAt' as const);
      return { key: d.key, title: d.title, severity: d.severity, status: d.status, bucket: bucketOf(d.severity), countedBy, at: d.window![countedBy]!.at.toISOString() };
    });

    const list = (filters: Partial<ListActionsQuery>) => this.deps.actions.list({ sort: 'key', page: 1, pageSize: MAX_KEYS, ...filters });
    const [changed, overdue, unowned] = await Promise.all([
      this.deps.actions.openedAndClosedBetween(from, to),
      list({ overdue: true }),
      list({ unowned: true, status: OPEN_STATUSES }),
    ]);
    const keys = (items: { key: string }[], count = items.length) => ({ count, keys: items.map((a) => a.key) });

    return {
      period: { ...(q.from ? {} : { week: start.toFormat(ISO_WEEK) }), from: start.toISODate()!, to: end.minus({ days: 1 }).toISODate()!, timezone: zone },
      generatedAt: now.toISOString(),
      accidents: {
        total: incidents.filter((i) => i.bucket).length,
        buckets: buckets.map((b) => ({ ...b, count: incidents.filter((i) => i.bucket === b.label).length })),
      },
      stabilityEvents: { levels: stability, count: incidents.filter((i) => stability.includes(i.severity)).length },
      incidents,
      actions: {
        opened: keys(changed.opened),
        closed: keys(changed.closed),
        overdue: keys(overdue.items, overdue.total),
        unowned: keys(unowned.items, unowned.total),
      },
    };
  }

  /** The report as markdown or HTML; each incident appears as its own weekly-entry document. */
  async render(q: WeeklyQuery & { format: 'md' | 'html' }): Promise<{ report: WeeklyReport; text: string }> {
    const { renderer, documents, config } = this.deps;
    const report = await this.weekly(q);
    const locale = q.locale ?? config.DEFAULT_LOCALE;
    // The entry quotes the incident's own words, so without a weekly-entry in the report's locale it is shown in the incident's.
    const entryLocale = renderer.list().some((t) => t.kind === 'documents' && t.name === 'weekly-entry' && t.format === 'md' && (t.locale === locale || t.locale === null))
      ? locale
      : undefined;
    const entries = await Promise.all(report.incidents.map((i) => documents.render(i.key, { template: 'weekly-entry', locale: entryLocale, format: 'md' })));
    const data = { ...report, incidents: report.incidents.map((i, n) => ({ ...i, entry: entries[n]!.text })) };
    return { report, text: renderer.render({ kind: 'reports', name: 'weekly', locale, format: q.format, data, timezone: report.period.timezone }) };
  }
}

/** The ISO week before or after one (2023-W01 → 2022-W52), for paging through reports. */
export function shiftWeek(week: string, by: number): string {
  return DateTime.fromISO(week).plus({ weeks: by }).toFormat(ISO_WEEK);
}
