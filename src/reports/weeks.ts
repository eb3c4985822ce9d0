import { DateTime } from 'luxon';
import type { Config } from '../lib/config.js';
import { getOrBounded } from '../lib/maps.js';

/**
 * How weeks are numbered and which days a week's report covers (WEEK_NUMBERING, REPORT_WEEK_DAYS).
 *
 * - `iso`: ISO 8601 weeks (2023-W07 is Monday 2023-02-13 to Sunday 2023-02-19).
 * - `jan1`: Monday-start weeks, the one holding 1 January is week 1; in 2023 that is ISO + 1, so the
 *   team's 第08周 is the week of Monday 2023-02-13.
 *
 * The covered days are that Monday to Sunday (`mon-sun`) or the Sunday before it to its Saturday
 * (`sun-sat`). The seed reports need `sun-sat`: 第07周 lists the TiDB incident of Sunday 2/5 beside
 * the daily reports of 2/6–2/10, and 第08周, dated Saturday 2/18, lists the decrypt failure found on
 * 2/14 (it began on 2/9, but incidents are placed by when they came to light, so it is in no other week).
 */
export interface WeekRule {
  numbering: 'iso' | 'jan1';
  days: 'mon-sun' | 'sun-sat';
}

export interface Week {
  year: number;
  number: number;
  /** 2023-W07 (iso) or 2023-08 (jan1): what the API and pages take and show. */
  label: string;
  /** First and last day covered, yyyy-MM-dd (inclusive). */
  from: string;
  to: string;
}

export const weekRule = (config: Pick<Config, 'WEEK_NUMBERING' | 'REPORT_WEEK_DAYS'>): WeekRule => ({ numbering: config.WEEK_NUMBERING, days: config.REPORT_WEEK_DAYS });

const WEEK_RE = /^(\d{4})-W?(\d{2})$/;

/** What a week query must look like, for error messages. */
export const weekHint = (rule: WeekRule) => (rule.numbering === 'iso' ? 'a week like 2023-W07' : 'a week like 2023-08 (week 1 holds 1 January)');

function firstMonday(year: number, rule: WeekRule): DateTime {
  if (rule.numbering === 'iso') return DateTime.fromObject({ weekYear: year, weekNumber: 1, weekday: 1 }, { zone: 'UTC' });
  return DateTime.fromObject({ year, month: 1, day: 1 }, { zone: 'UTC' }).startOf('week');
}

function build(year: number, number: number, rule: WeekRule): Week {
  const monday = firstMonday(year, rule).plus({ weeks: number - 1 });
  const start = monday.minus({ days: rule.days === 'sun-sat' ? 1 : 0 });
  const label = rule.numbering === 'iso' ? `${year}-W${String(number).padStart(2, '0')}` : `${year}-${String(number).padStart(2, '0')}`;
  return { year, number, label, from: start.toISODate()!, to: start.plus({ days: 6 }).toISODate()! };
}

/** `2023-08` or `2023-W08` in the configured numbering; undefined when there is no such week. */
export function parseWeek(text: string, rule: WeekRule): Week | undefined {
  // Every report page names its week: the answer (null for none) is kept.
  return getOrBounded(weeksByLabel, `${rule.numbering} ${rule.days} ${text}`, 5000, () => parsedWeek(text, rule) ?? null) ?? undefined;
}

const weeksByLabel = new Map<string, Week | null>();

function parsedWeek(text: string, rule: WeekRule): Week | undefined {
  const m = WEEK_RE.exec(text);
  if (!m) return undefined;
  const [year, number] = [Number(m[1]), Number(m[2])];
  if (number < 1 || year < 1970) return undefined;
  // The weeks of a year run until the next year's week 1.
  const weeks = firstMonday(year + 1, rule).diff(firstMonday(year, rule), 'weeks').weeks;
  return number <= weeks ? Object.freeze(build(year, number, rule)) : undefined;
}

/** Weeks worked out so far, by rule and day: a report page places every day of its charts' weeks (luxon's calendar arithmetic is slow). */
const weeksByDay = new Map<string, Week>();

/** The week whose covered days hold a date (yyyy-MM-dd). */
export function weekOf(date: string, rule: WeekRule): Week {
  return getOrBounded(weeksByDay, `${rule.numbering} ${rule.days} ${date}`, 20_000, () => Object.freeze(computeWeekOf(date, rule)));
}

function computeWeekOf(date: string, rule: WeekRule): Week {
  // Under sun-sat a Sunday belongs to the week of the Monday after it.
  const day = DateTime.fromISO(date, { zone: 'UTC' }).plus({ days: rule.days === 'sun-sat' ? 1 : 0 });
  const monday = day.startOf('week');
  const year = rule.numbering === 'iso' ? monday.weekYear : monday.plus({ days: 6 }).year;
  return build(year, Math.round(monday.diff(firstMonday(year, rule), 'weeks').weeks) + 1, rule);
}

/** The week `by` weeks before or after one. */
export function shiftWeek(week: Week, by: number, rule: WeekRule): Week {
  return weekOf(DateTime.fromISO(week.from, { zone: 'UTC' }).plus({ weeks: by }).toISODate()!, rule);
}
