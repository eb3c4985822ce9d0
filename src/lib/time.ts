import { DateTime, Duration, IANAZone, Info, type Zone } from 'luxon';
import { getOrBounded, setBounded } from './maps.js';

/** A day of 24 hours, in milliseconds: for spans measured in elapsed time, not calendar days. */
export const DAY_MS = 86_400_000;

/**
 * A point in time known to the minute, or only to the day (the seed reports often say "from 2/9").
 * Stored as a UTC instant plus its precision; a day-precision value is stored as the start of that day
 * in the incident's time zone.
 */
export type Precision = 'minute' | 'day';

export interface Instant {
  at: Date;
  precision: Precision;
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A date, a local time, or an instant with an offset: year, month, day, hour, minute, second, fraction, zone, offset hours, offset minutes. */
const INSTANT_PARTS = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|([+-]\d{2}):?(\d{2}))?)?$/;

/** The three forms as one JSON Schema pattern, for the OpenAPI document (the value is still checked as a date). */
export const INSTANT_PATTERN = INSTANT_PARTS.source;

/** What an API client may send for a point in time; checked for form here, read in a zone by parseInstant. */
export const INSTANT_FORMAT_HINT =
  'a date (2023-02-09), a local time in the incident time zone (2023-02-05T08:48) or an ISO instant with offset';

/**
 * A date, a local time or an instant with offset whose fields are in range (a 31 April or a 23:60 is
 * not). Checked by hand rather than by luxon's parser: every incident's times pass here, and the parser
 * cost more than the rest of checking an incident. The tests compare the two.
 */
export function isInstantText(text: string): boolean {
  const parts = INSTANT_PARTS.exec(text);
  if (!parts) return false;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', , zone, offH = '0', offM = '0'] = parts;
  if (zone !== undefined && zone !== 'Z' && (Math.abs(Number(offH)) > 23 || Number(offM) > 59)) return false;
  return inCalendar(Number(y), Number(mo), Number(d)) && Number(h) < 24 && Number(mi) < 60 && Number(sec) < 60;
}

export function isDateText(text: string): boolean {
  const parts = DAY_RE.exec(text);
  return !!parts && inCalendar(Number(parts[1]), Number(parts[2]), Number(parts[3]));
}

function inCalendar(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);
}

/** Parsed times and duration texts are asked for the same incidents again and again; the answers are pure, so the last few thousand are kept. */
const KEPT = 5000;

/**
 * A time zone by name, for luxon. Luxon works out an IANA zone's UTC offset with Intl on every
 * conversion (a tenth of the server's CPU when filing an incident); this zone keeps the offset of each
 * hour it was asked about. An hour whose two ends differ holds a daylight-saving change and is worked
 * out at each ask: no zone's offset changes twice within an hour. Other names (UTC, fixed offsets)
 * are luxon's own zones.
 */
export function zoneNamed(name: string): Zone {
  return getOrBounded(zonesByName, name, ZONES_KEPT, () => {
    const zone = Info.normalizeZone(name);
    return zone.type === 'iana' && zone.isValid ? new SteadyZone(name) : zone;
  });
}

const ZONES_KEPT = 1000;
const zonesByName = new Map<string, Zone>();
const HOUR_MS = 3_600_000;

class SteadyZone extends IANAZone {
  private readonly hours = new Map<number, number>();

  override offset(ts: number): number {
    const hour = Math.floor(ts / HOUR_MS);
    let minutes = this.hours.get(hour);
    if (minutes === undefined) {
      minutes = super.offset(hour * HOUR_MS);
      if (minutes !== super.offset((hour + 1) * HOUR_MS - 1)) return super.offset(ts);
      setBounded(this.hours, hour, minutes, KEPT);
    }
    return minutes;
  }
}

/** Reads an instant written by a client: a date, a local time in `zone`, or an instant with an offset. */
export function parseInstant(text: string, zone: string): Instant {
  const parsed = parsedText(text, zone);
  return { at: new Date(parsed.ms), precision: parsed.precision };
}

/** True for a local time that `zone`'s clocks skipped (02:30 on the night they go from 02:00 to 03:00), which luxon would read as another time. */
export function isSkippedLocalTime(text: string, zone: string): boolean {
  return parsedText(text, zone).skipped;
}

function parsedText(text: string, zone: string): { ms: number; precision: Precision; skipped: boolean } {
  return getOrBounded(instantsKept, `${zone}|${text}`, KEPT, () => parseAfresh(text, zone));
}

const instantsKept = new Map<string, { ms: number; precision: Precision; skipped: boolean }>();

function parseAfresh(text: string, zone: string): { ms: number; precision: Precision; skipped: boolean } {
  if (DAY_RE.test(text)) {
    return { ms: DateTime.fromISO(text, { zone: zoneNamed(zone) }).startOf('day').toMillis(), precision: 'day', skipped: false };
  }
  const [, , , day, hour, minute, , , offset] = INSTANT_PARTS.exec(text) ?? [];
  const zoned = offset !== undefined;
  const dt = zoned ? DateTime.fromISO(text, { setZone: true }) : DateTime.fromISO(text, { zone: zoneNamed(zone) });
  if (!dt.isValid) throw new RangeError(`not a valid time: ${text}`);
  // Read as written unless the zone skipped it: then luxon moved it on by the gap.
  const skipped = !zoned && (dt.day !== Number(day) || dt.hour !== Number(hour) || dt.minute !== Number(minute));
  return { ms: dt.toMillis(), precision: 'minute', skipped };
}

/** The inverse of parseInstant for a local time in `zone`: `2023-02-09` or `2023-02-05T08:48` (seconds kept when set). */
export function formatInstant(instant: Instant, zone: string): string {
  // Every view of an incident formats its times: the same ones, again and again.
  return getOrBounded(formattedKept, `${zone}|${instant.precision}|${instant.at.getTime()}`, KEPT, () => {
    const dt = DateTime.fromJSDate(instant.at, { zone: zoneNamed(zone) });
    if (instant.precision === 'day') return dt.toFormat('yyyy-MM-dd');
    if (dt.millisecond) return dt.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS");
    return dt.toFormat(dt.second ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm");
  });
}

const formattedKept = new Map<string, string>();

/** Earliest and latest moment an instant can stand for: a day-precision value covers its whole day. */
export function bounds(instant: Instant, zone: string): { earliest: number; latest: number } {
  const earliest = instant.at.getTime();
  if (instant.precision === 'minute') return { earliest, latest: earliest };
  const end = DateTime.fromJSDate(instant.at, { zone: zoneNamed(zone) }).endOf('day').toMillis();
  return { earliest, latest: end };
}

export interface Span {
  minutes: number;
  /** True when either end is known only to the day. */
  approximate: boolean;
  /** ISO 8601 duration, e.g. P5DT12H4M. */
  iso: string;
}

export function span(from: Instant | undefined, to: Instant | undefined): Span | undefined {
  if (!from || !to) return undefined;
  const minutes = Math.round((to.at.getTime() - from.at.getTime()) / 60_000);
  const iso = getOrBounded(isoKept, minutes, KEPT, () => Duration.fromObject({ minutes }).shiftTo('days', 'hours', 'minutes').toISO() ?? 'PT0M');
  return { minutes, approximate: from.precision === 'day' || to.precision === 'day', iso };
}

const isoKept = new Map<number, string>();

/** Per zone, the local day last asked for and the instants it spans, so most asks skip the zone arithmetic. */
const dayCache = new Map<string, { from: number; to: number; date: string }>();

/**
 * The calendar date (yyyy-MM-dd) in `zone` at `at`. Lists and stats ask this for every action (is it
 * overdue today, in its owner's zone?), and working it out costs far more than comparing with the day
 * last found for the zone.
 */
export function localDate(zone: string, at: Date): string {
  const t = at.getTime();
  const hit = dayCache.get(zone);
  if (hit && t >= hit.from && t < hit.to) return hit.date;
  // The wall clock is the instant plus the zone's offset then (what luxon shows, from zoneNamed's offsets).
  const named = zoneNamed(zone);
  const offset = named.offset(t) * 60_000;
  const wall = new Date(t + offset);
  const from = t - (((wall.getTime() % DAY_MS) + DAY_MS) % DAY_MS);
  // The day's span holds where the offset is the same at both its ends; on a day the clocks change, only this instant.
  const steady = named.offset(from) * 60_000 === offset && named.offset(from + DAY_MS - 1) * 60_000 === offset;
  const day = { from: steady ? from : t, to: steady ? from + DAY_MS : t + 1, date: isoDate(wall) };
  dayCache.set(zone, day);
  return day.date;
}


/** The calendar date `days` after `date` (both yyyy-MM-dd): whole days, whatever the clocks do in between. */
export function datePlusDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(0);
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  next.setUTCFullYear(y, m - 1, d + days);
  return isoDate(next);
}

/** A Date's UTC calendar date as yyyy-MM-dd. */
function isoDate(d: Date): string {
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/**
 * The quarter hour `at` falls in. No place's date changes inside one (every UTC offset is a whole
 * number of quarter hours), so a value that depends on "today" in any zone holds for the whole of it.
 */
export function quarterHourOf(at: Date): number {
  return Math.floor(at.getTime() / 900_000);
}
