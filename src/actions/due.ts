import type { Config } from '../lib/config.js';
import { DateTime } from 'luxon';
import { getOrBounded } from '../lib/maps.js';
import { DAY_MS, datePlusDays, localDate, zoneNamed } from '../lib/time.js';
import type { ActionPriority } from './schemas.js';
import { isClosed } from './schemas.js';

/**
 * What "due" means for a corrective action, decided here and nowhere else (actions, reminders and
 * reports all ask). Every date is a calendar date read in one stated zone: the action's `timezone`,
 * which is its owner's zone when the owner is a person here and the incident's otherwise. An action
 * due 2026-03-01 in Asia/Shanghai is overdue from 2026-03-02 00:00 there (2026-03-01T16:00Z).
 */

/** Days an action of each priority has, from the day its SLA counts from. */
export type SlaDays = Record<ActionPriority, number>;

export function slaDaysOf(config: Pick<Config, 'ACTION_SLA_DAYS_HIGH' | 'ACTION_SLA_DAYS_MEDIUM' | 'ACTION_SLA_DAYS_LOW'>): SlaDays {
  return { high: config.ACTION_SLA_DAYS_HIGH, medium: config.ACTION_SLA_DAYS_MEDIUM, low: config.ACTION_SLA_DAYS_LOW };
}

/** The due date an SLA gives: the day `from` falls on in `zone`, plus the priority's days. */
export function slaDueDate(priority: ActionPriority, from: Date, zone: string, sla: SlaDays): string {
  return datePlusDays(localDate(zone, from), sla[priority]);
}

/** The action's calendar day at `now`, in its stated zone. */
export function todayFor(action: { timezone: string }, now: Date): string {
  return localDate(action.timezone, now);
}

/** Days from one calendar date (yyyy-MM-dd) to another: 1 the day after the due date, 0 on it, negative before. */
export function daysLate(dueDate: string, day: string): number {
  return Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${dueDate}T00:00:00Z`)) / DAY_MS);
}

/** Past due on `day`: the due date is over (due on a day means done by its end). */
export function pastDue(dueDate: string | null | undefined, day: string): boolean {
  return !!dueDate && day > dueDate;
}

const overdueStarts = new Map<string, number>();

/**
 * The instant an action due on `dueDate` becomes past due in `zone`: the start of the next day there
 * (pastDue holds from this instant on). Reports keep it per action instead of asking pastDue per day.
 */
export function overdueFrom(dueDate: string, zone: string): number {
  return getOrBounded(overdueStarts, `${zone} ${dueDate}`, 10_000, () => DateTime.fromISO(datePlusDays(dueDate, 1), { zone: zoneNamed(zone) }).toMillis());
}

/** Overdue at `now`: still open and its due date over in its zone. */
export function isOverdue(action: { dueDate?: string | null; status: string; timezone: string }, now: Date): boolean {
  return !isClosed(action.status) && pastDue(action.dueDate, todayFor(action, now));
}

/** Done by its due date, in its zone (the "within SLA" of stats and reports). */
export function doneOnTime(dueDate: string | null | undefined, doneAt: Date, zone: string): boolean {
  return !!dueDate && localDate(zone, doneAt) <= dueDate;
}
