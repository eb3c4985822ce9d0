import { formatDuration, formatRate } from '../documents/format.js';
import { ui } from '../documents/ui-strings.js';
import type { StabilityReport } from '../reports/schemas.js';
import { inlineLink, type ChatMessage } from './platforms.js';

/**
 * The weekly stability section as a chat message, in the shape of the team's weekly report: success
 * rates, availability, accident counts, the period's incidents (those routed to the channel, each a link),
 * and the corrective actions' counts, with a link to the whole report.
 */
export function weeklyMessage(report: StabilityReport, incidents: StabilityReport['incidents'], locale: string, baseUrl: string): ChatMessage {
  const { period } = report;
  const say = (key: Parameters<typeof ui>[1], vars?: Parameters<typeof ui>[2]) => ui(locale, key, vars);
  const lines: string[] = [];
  for (const r of report.successRates) lines.push(say('chat.weekly.rate', { flow: r.flow, value: formatRate(r.value, locale), note: r.note ?? '' }).trim());
  if (!report.successRates.length) lines.push(say('chat.weekly.noRates'));
  for (const s of report.availability.systems) {
    lines.push(say('chat.weekly.availability', { name: s.name, year: formatRate(s.yearToDate.percent, locale), period: formatRate(s.period.percent, locale) }));
  }
  if (report.availability.unmapped.count) lines.push(say('chat.weekly.unmapped', { n: report.availability.unmapped.count }));
  const buckets = report.accidents.buckets.map((b) => say('chat.weekly.bucket', { label: b.label, n: b.count })).join(say('chat.weekly.separator'));
  lines.push(say('chat.weekly.accidents', { buckets: buckets || '0', events: report.stabilityEvents.count }));
  for (const i of incidents) {
    const key = inlineLink(i.key, `${baseUrl}/incidents/${encodeURIComponent(i.key)}`);
    lines.push(
      i.customerFacing && i.impactMinutes !== null
        ? say('chat.weekly.incidentImpact', { key, severity: i.severity, title: i.title, impact: formatDuration({ minutes: i.impactMinutes, approximate: false }, locale) })
        : say('chat.weekly.incident', { key, severity: i.severity, title: i.title }),
    );
  }
  if (!incidents.length) lines.push(say('chat.weekly.noIncidents'));
  const a = report.actions;
  lines.push(say('chat.weekly.actions', { opened: a.opened.count, closed: a.closed.count, onTime: a.closedWithinSla.count, open: a.open.count, overdue: a.overdue.count, unowned: a.unowned.count }));
  const range: Record<string, string> = period.week ? { week: period.week } : { from: period.from, to: period.to };
  return {
    event: 'report.weekly',
    title: period.weekNumber !== undefined ? say('chat.weekly.title', { week: String(period.weekNumber).padStart(2, '0'), from: period.from, to: period.to }) : say('chat.weekly.titleRange', { from: period.from, to: period.to }),
    lines,
    link: { label: say('chat.link.report'), url: `${baseUrl}/reports/weekly?${new URLSearchParams({ ...range, timezone: period.timezone })}` },
    mentions: [],
    data: {
      week: period.week ?? null,
      from: period.from,
      to: period.to,
      timezone: period.timezone,
      accidents: report.accidents,
      stabilityEvents: report.stabilityEvents.count,
      successRates: report.successRates,
      availability: report.availability.systems.map((s) => ({ name: s.name, period: s.period.percent, yearToDate: s.yearToDate.percent, meetsTarget: s.meetsTarget })),
      incidents: incidents.map((i) => ({ key: i.key, title: i.title, severity: i.severity, status: i.status, impactMinutes: i.impactMinutes })),
      actions: Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v.count])),
    },
  };
}
