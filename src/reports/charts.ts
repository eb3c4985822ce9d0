import { DateTime } from 'luxon';
import { ui, type UiKey } from '../documents/ui-strings.js';
import type { Config } from '../lib/config.js';
import { firstAtLeast } from '../lib/listing.js';
import { setBounded } from '../lib/maps.js';
import type { IncidentDoc } from '../incidents/model.js';
import { availabilityByRange, impactWindow, noticedAt, noticedBetween, timeTo, type Range } from './compute.js';
import type { CHART_NAMES } from './schemas.js';
import type { ActionTimeline, ReportData, ResolvedPeriod } from './period.js';
import { weekOf, weekRule, type Week } from './weeks.js';
import { zoneNamed } from '../lib/time.js';

/**
 * Charts as SVG drawn on the server (no script, no fonts to fetch), each with a text alternative that
 * says the same numbers: in the SVG's <title>/<desc>, as the pages' alt text and as a table in print.
 */
export type ChartName = (typeof CHART_NAMES)[number];

export interface Chart {
  name: ChartName;
  title: string;
  unit: string;
  categories: string[];
  series: { label: string; values: (number | null)[] }[];
  stacked: boolean;
  /** The same numbers as sentences, for readers who cannot see the picture. */
  text: string;
}

const COLORS = ['#b91c1c', '#ea580c', '#ca8a04', '#2563eb', '#64748b', '#059669', '#7c3aed', '#0891b2'];
const TITLES: Record<ChartName, UiKey> = {
  'incidents-by-week': 'chart.incidentsByWeek',
  'time-to-resolve': 'chart.timeToResolve',
  'actions-opened-closed': 'chart.actionsOpenedClosed',
  availability: 'chart.availability',
};

/** The weeks (in the configured numbering) that overlap a period, each clipped to it; the last few periods' are kept (each chart asks). */
export function weeksOf(period: ResolvedPeriod, config: Config): { week: Week; range: Range }[] {
  const rule = weekRule(config);
  const key = `${period.from}:${period.to}:${period.zone}:${config.WEEK_NUMBERING}:${config.REPORT_WEEK_DAYS}`;
  const kept = weeksKept.get(key);
  if (kept) return kept;
  const out: { week: Week; range: Range }[] = [];
  for (let w = weekOf(period.from, rule); w.from <= period.to; w = weekOf(DateTime.fromISO(w.to).plus({ days: 1 }).toISODate()!, rule)) {
    const start = Math.max(DateTime.fromISO(w.from, { zone: zoneNamed(period.zone) }).toMillis(), period.range.start);
    const end = Math.min(DateTime.fromISO(w.to, { zone: zoneNamed(period.zone) }).plus({ days: 1 }).toMillis(), period.range.end);
    out.push({ week: w, range: { start, end } });
  }
  setBounded(weeksKept, key, out, WEEKS_KEPT);
  return out;
}

const WEEKS_KEPT = 100;
const weeksKept = new Map<string, { week: Week; range: Range }[]>();

/** Actions opened and closed in each range, as actionCounts counts them: two binary searches a range. */
function openedClosedByWeek(timeline: ActionTimeline, ranges: Range[]): { opened: number; closed: number }[] {
  const { openings, closings } = timeline;
  const opened = (t: number) => firstAtLeast(openings.length, (i) => openings[i]!, t);
  const closed = (t: number) => firstAtLeast(closings.length, (i) => closings[i]!.at, t);
  // An action closed, reopened and closed again in one week counts once.
  return ranges.map((r) => ({ opened: opened(r.end) - opened(r.start), closed: new Set(closings.slice(closed(r.start), closed(r.end)).map((c) => c.key)).size }));
}

/** One chart's numbers, week by week over the period. */
/**
 * Whether a chart of `range` other than the actions chart can count this incident: noticed within it
 * (incidents by week, time to resolve) or affecting customers within it (availability; an impact not
 * over counts until the range's end at most).
 */
export function countedInCharts(doc: IncidentDoc, range: Range): boolean {
  const at = noticedAt(doc);
  if (at !== undefined && at >= range.start && at < range.end) return true;
  const impact = impactWindow(doc, range.end);
  return !!impact && impact.end > range.start && impact.start < range.end;
}

export function buildChart(name: ChartName, period: ResolvedPeriod, data: ReportData, config: Config, locale: string): Chart {
  const weeks = weeksOf(period, config);
  const categories = weeks.map((w) => w.week.label);
  const noticedByWeek = () => weeks.map(({ range: r }) => noticedBetween(data.noticed.all, r.start, r.end));
  let series: Chart['series'];
  let unit = '';
  switch (name) {
    case 'incidents-by-week': {
      // One pass over each week's incidents: a week of a whole company holds hundreds.
      const levels = config.SEVERITY_LEVELS;
      const counts = noticedByWeek().map((docs) => {
        const byLevel = new Map(levels.map((level) => [level, 0]));
        for (const d of docs) if (byLevel.has(d.severity)) byLevel.set(d.severity, byLevel.get(d.severity)! + 1);
        return byLevel;
      });
      series = levels.map((level) => ({ label: level, values: counts.map((byLevel) => byLevel.get(level)!) }));
      break;
    }
    case 'time-to-resolve': {
      unit = 'h';
      const spans = noticedByWeek().map((docs) => timeTo(docs).resolve);
      const hours = (m: number | null) => (m === null ? null : Math.round((m / 60) * 10) / 10);
      series = [
        { label: ui(locale, 'chart.median'), values: spans.map((s) => hours(s.medianMinutes)) },
        { label: 'p90', values: spans.map((s) => hours(s.p90Minutes)) },
      ];
      break;
    }
    case 'actions-opened-closed': {
      const counts = openedClosedByWeek(data.timeline, weeks.map((w) => w.range));
      series = [
        { label: ui(locale, 'chart.opened'), values: counts.map((c) => c.opened) },
        { label: ui(locale, 'chart.closed'), values: counts.map((c) => c.closed) },
      ];
      break;
    }
    case 'availability': {
      unit = '%';
      series = data.systems.map((s, n) => ({ label: s.name, values: availabilityByRange(data.impacts.bySystem[n]!, weeks.map((w) => w.range), data.now) }));
      break;
    }
  }
  const title = ui(locale, TITLES[name], { from: period.from, to: period.to });
  const text = `${title}. ${categories.map((c, i) => `${c}: ${series.map((s) => `${s.label} ${s.values[i] ?? '—'}${unit}`).join(', ')}`).join('; ')}.`;
  return { name, title, unit, categories, series, stacked: name === 'incidents-by-week', text };
}

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Bars per week (stacked for counts by severity, side by side otherwise), a y axis, a legend. */
export function renderSvg(chart: Chart): string {
  const [W, H, left, right, top, bottom] = [720, 320, 48, 16, 36, 64];
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const n = Math.max(chart.categories.length, 1);
  const totals = chart.categories.map((_, i) =>
    chart.stacked ? chart.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0) : Math.max(0, ...chart.series.map((s) => s.values[i] ?? 0)),
  );
  // Counts get an axis of at least 4 so its ticks are whole numbers.
  const max = niceMax(Math.max(chart.unit ? 0 : 4, ...totals));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const slot = plotW / n;
  const barW = chart.stacked ? slot * 0.7 : (slot * 0.8) / Math.max(chart.series.length, 1);
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = (max / 4) * t;
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${escapeHtml(format(v))}${escapeHtml(chart.unit)}</text>`);
  }
  chart.categories.forEach((c, i) => {
    const x0 = left + slot * i;
    let base = 0;
    chart.series.forEach((s, k) => {
      const v = s.values[i];
      if (v === null || v === undefined) return;
      const color = COLORS[k % COLORS.length]!;
      const x = chart.stacked ? x0 + (slot - barW) / 2 : x0 + slot * 0.1 + barW * k;
      const [from, to] = chart.stacked ? [base, base + v] : [0, v];
      base = to;
      if (to > from) parts.push(`<rect x="${x.toFixed(1)}" y="${y(to).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(from) - y(to)).toFixed(1)}" fill="${color}"><title>${escapeHtml(`${c} ${s.label}: ${v}${chart.unit}`)}</title></rect>`);
    });
    // Label every week when they fit, else every few.
    if (i % Math.ceil(n / 16) === 0) {
      parts.push(`<text x="${(x0 + slot / 2).toFixed(1)}" y="${H - bottom + 14}" text-anchor="middle" font-size="10">${escapeHtml(c.replace(/^\d{4}-W?/, ''))}</text>`);
    }
  });
  chart.series.forEach((s, k) => {
    const x = left + k * 110;
    parts.push(`<rect x="${x}" y="${H - 24}" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/><text x="${x + 14}" y="${H - 15}" font-size="11">${escapeHtml(s.label)}</text>`);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${chart.name}-title ${chart.name}-desc" font-family="sans-serif">`,
    // Ids named after the chart: a page shows several, and each must point at its own text.
    `<title id="${chart.name}-title">${escapeHtml(chart.title)}</title>`,
    `<desc id="${chart.name}-desc">${escapeHtml(chart.text)}</desc>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${escapeHtml(chart.title)}</text>`,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#9ca3af"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= v) return m * step;
  return 10 * step;
}

const format = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
