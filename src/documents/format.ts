import { DateTime } from 'luxon';
import { getOrBounded } from '../lib/maps.js';
import type { Span } from '../lib/time.js';
import { zoneNamed } from '../lib/time.js';
import type { Said } from '../lib/errors.js';
import { isUiKey, ui } from './ui-strings.js';

/**
 * Locale-aware formatting for rendered documents. Pure functions of (value, locale, zone), so the
 * renderer's helpers stay thin and golden files do not depend on the machine's locale or zone.
 */

export interface InstantValue {
  at: string;
  precision: 'minute' | 'day';
}

/**
 * Intl names many zones only "GMT+8"; readers of the seed reports know these by their abbreviation.
 */
const ZONE_ABBREVIATIONS: Record<string, string> = {
  'Asia/Shanghai': 'CST',
  'Asia/Hong_Kong': 'HKT',
  'Asia/Taipei': 'CST',
  'Asia/Singapore': 'SGT',
  'Asia/Tokyo': 'JST',
  'Asia/Kolkata': 'IST',
};

export type TimeStyle = 'full' | 'short' | 'date' | 'clock';

/**
 * `full` 2023-02-14 12:04 CST, `short` 2/14 12:04 (the seed's style), `date` 2023-02-14, `clock` 12:04.
 * A time known only to the day is always shown as a date (2023-02-09, or 2/9 in the short style).
 */
export function formatTime(value: InstantValue | string, style: TimeStyle, zone: string): string {
  // Pure, and asked for the same incidents' times on every page: the last few thousand are kept.
  const key = `${typeof value === 'string' ? value : `${value.at}|${value.precision}`}|${style}|${zone}`;
  return getOrBounded(timesKept, key, TIMES_KEPT, () => formatAfresh(value, style, zone));
}

const TIMES_KEPT = 5000;
const timesKept = new Map<string, string>();

function formatAfresh(value: InstantValue | string, style: TimeStyle, zone: string): string {
  const instant = typeof value === 'string' ? toInstant(value, zone) : value;
  const dt = DateTime.fromISO(instant.at, { zone: zoneNamed(zone) });
  if (!dt.isValid) throw new RangeError(`not a time: ${JSON.stringify(value)}`);
  const short = style === 'short' || style === 'clock';
  if (instant.precision === 'day') return dt.toFormat(short ? 'M/d' : 'yyyy-MM-dd');
  switch (style) {
    case 'short':
      return dt.toFormat('M/d H:mm');
    case 'clock':
      return dt.toFormat('H:mm');
    case 'date':
      return dt.toFormat('yyyy-MM-dd');
    case 'full':
      return `${dt.toFormat('yyyy-MM-dd HH:mm')} ${zoneAbbreviation(zone, dt)}`;
  }
}

/** `2/5 8:48~9:50` on one day, `2/14 21:45~2/15 15:00` across days, as the seed writes time ranges. */
export function formatTimeRange(from: InstantValue, to: InstantValue | undefined, zone: string): string {
  const start = formatTime(from, 'short', zone);
  if (!to) return start;
  const sameDay = DateTime.fromISO(from.at, { zone: zoneNamed(zone) }).hasSame(DateTime.fromISO(to.at, { zone: zoneNamed(zone) }), 'day');
  const end = formatTime(to, sameDay && from.precision === 'minute' ? 'clock' : 'short', zone);
  return `${start}~${end}`;
}

/** A calendar date (2023-02-09) is a day-precision instant at the start of that day in `zone`. */
function toInstant(text: string, zone: string): InstantValue {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return { at: DateTime.fromISO(text, { zone: zoneNamed(zone) }).toISO()!, precision: 'day' };
  return { at: text, precision: 'minute' };
}

function zoneAbbreviation(zone: string, dt: DateTime): string {
  return ZONE_ABBREVIATIONS[zone] ?? dt.setLocale('en-US').toFormat('ZZZZ');
}

const DURATION_UNITS = {
  en: { d: 'd', h: 'h', min: 'min', about: 'about ' },
  'zh-CN': { d: '天', h: '小时', min: '分钟', about: '约 ' },
} as const;

/** `1 h 2 min` / `1 小时 2 分钟`; `about 6 d 15 h` / `约 6 天 15 小时` when either end is known only to the day. */
export function formatDuration(span: Pick<Span, 'minutes' | 'approximate'>, locale: string): string {
  const units = DURATION_UNITS[locale as keyof typeof DURATION_UNITS] ?? DURATION_UNITS.en;
  const sign = span.minutes < 0 ? '-' : '';
  let rest = Math.abs(span.minutes);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 1440], ['h', 60], ['min', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n) parts.push(`${n} ${units[unit]}`);
  }
  const text = sign + (parts.join(' ') || `0 ${units.min}`);
  return span.approximate ? units.about + text : text;
}

/** 0.0040978 at 3 digits → 0.410% (rounded, never truncated). */
export function formatPercent(ratio: number, digits: number, locale: string): string {
  return numberFormat(locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(ratio);
}

/** A value already in percent: 99.94 → 99.94%, 99.98765 → 99.988%, 100 → 100%. */
export function formatRate(percent: number, locale: string): string {
  return `${numberFormat(locale, { maximumFractionDigits: 3, useGrouping: false }).format(percent)}%`;
}

/** 1496160 → 1,496,160. */
export function formatNumber(n: number, locale: string): string {
  return numberFormat(locale, {}).format(n);
}

/** a, b, and c / 研发、SRE、安全和数据平台. */
export function formatList(items: string[], locale: string): string {
  return getOrBounded(listFormats, locale, FORMATTERS_KEPT, () => new Intl.ListFormat(locale, { type: 'conjunction' })).format(items);
}

/** Building an Intl formatter costs far more than formatting with it, and pages ask for the same few again and again: each is built once. */
const FORMATTERS_KEPT = 100;
const numberFormats = new Map<string, Intl.NumberFormat>();
const listFormats = new Map<string, Intl.ListFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return getOrBounded(numberFormats, `${locale}|${JSON.stringify(options)}`, FORMATTERS_KEPT, () => new Intl.NumberFormat(locale, options));
}

/** The display name of an enumerated value (`term.<group>.<value>` in the locale files); an unknown value is shown as it is. */
export function term(group: string, value: string, locale: string): string {
  const key = `term.${group}.${value}`;
  return isUiKey(key) ? ui(locale, key) : value;
}

/** An error's or field's message in `locale` when it says which (`said`), else its own (English) message. */
export function localMessage(m: { message: string; said?: Said }, locale: string): string {
  const key = m.said && `said.${m.said.id}`;
  if (!key || !isUiKey(key)) return m.message;
  // A role or an action's status is named in the reader's words too.
  const { role, actionStatus } = m.said!.params;
  const params = { ...m.said!.params, ...(role ? { role: term('role', String(role), locale) } : {}), ...(actionStatus ? { actionStatus: term('actionStatus', String(actionStatus), locale).toLowerCase() } : {}) };
  return ui(locale, key, params);
}
