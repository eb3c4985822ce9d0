import { DateTime, Duration, IANAZone, Info, type Zone } from 'luxon';
import { getOrBounded, setBounded } from './maps.js';

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

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;
const ZONED_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The three forms above as one JSON Schema pattern, for the OpenAPI document (the value is still checked as a date). */
export const INSTANT_PATTERN = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$';

/** What an API client may send for a point in time; checked for form here, read in a zone by parseInstant. */
export const INSTANT_FORMAT_HINT =
  'a date (2023-02-09), a local time in the incident time zone (2023-02-05T08:48) or an ISO instant with offset';

export function isInstantText(text: string): boolean {
  if (!DAY_RE.test(text) && !LOCAL_RE.test(text) && !ZONED_RE.test(text)) return false;
  return DateTime.fromISO(text, { setZone: true }).isValid;
}

export function isDateText(text: string): boolean {
  return DAY_RE.test(text) && DateTime.fromISO(text).isValid;
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
  const key = `${zone}|${text}`;
  const parsed = getOrBounded(instantsKept, key, KEPT, () => {
    const instant = parseAfresh(text, zone);
    return { ms: instant.at.getTime(), precision: instant.precision };
  });
  return { at: new Date(parsed.ms), precision: parsed.precision };
}

const instantsKept = new Map<string, { ms: number; precision: Precision }>();

function parseAfresh(text: string, zone: string): Instant {
  if (DAY_RE.test(text)) {
    return { at: DateTime.fromISO(text, { zone: zoneNamed(zone) }).startOf('day').toJSDate(), precision: 'day' };
  }
  const dt = ZONED_RE.test(text) ? DateTime.fromISO(text, { setZone: true }) : DateTime.fromISO(text, { zone: zoneNamed(zone) });
  if (!dt.isValid) throw new RangeError(`not a valid time: ${text}`);
  return { at: dt.toJSDate(), precision: 'minute' };
}

/** The inverse of parseInstant for a local time in `zone`: `2023-02-09` or `2023-02-05T08:48` (seconds kept when set). */
export function formatInstant(instant: Instant, zone: string): string {
  const dt = DateTime.fromJSDate(instant.at, { zone: zoneNamed(zone) });
  if (instant.precision === 'day') return dt.toFormat('yyyy-MM-dd');
  if (dt.millisecond) return dt.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS");
  return dt.toFormat(dt.second ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm");
}

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
  const local = DateTime.fromMillis(t, { zone: zoneNamed(zone) });
  const start = local.startOf('day');
  const day = { from: start.toMillis(), to: start.plus({ days: 1 }).toMillis(), date: local.toFormat('yyyy-MM-dd') };
  dayCache.set(zone, day);
  return day.date;
}

/**
 * The quarter hour `at` falls in. No place's date changes inside one (every UTC offset is a whole
 * number of quarter hours), so a value that depends on "today" in any zone holds for the whole of it.
 */
export function quarterHourOf(at: Date): number {
  return Math.floor(at.getTime() / 900_000);
}
