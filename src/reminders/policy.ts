import { daysLate } from '../actions/due.js';
import { isClosed } from '../actions/schemas.js';
import type { Config } from '../lib/config.js';
import { localDate } from '../lib/time.js';

/**
 * When an action is worth a word to someone. Pure: given an action, its incident's owner and a
 * calendar day in the action's time zone, it says who should hear about it that day and why.
 * The digest job then groups a person's reasons into one email.
 */
export type ReminderKind = 'before_due' | 'due_today' | 'overdue' | 'unowned' | 'escalation' | 'verify' | 'recheck';

export interface ReminderPolicy {
  /** Days before the due date (0 = on it). */
  beforeDays: number[];
  overdueEvery: number;
  escalateAfter: number;
}

export function policyFrom(config: Config): ReminderPolicy {
  return { beforeDays: config.REMIND_BEFORE_DAYS, overdueEvery: config.REMIND_OVERDUE_EVERY_DAYS, escalateAfter: config.ESCALATE_AFTER_DAYS };
}

export interface PolicyAction {
  key: string;
  status: string;
  owner?: string | null;
  dueDate?: string | null;
  timezone: string;
  doneAt?: Date | null;
  recheckOn?: string | null;
  snoozedUntil?: string | null;
}

export interface Trigger {
  kind: ReminderKind;
  recipient: string;
}


export function triggersOn(
  action: PolicyAction,
  day: string,
  people: { incidentOwner?: string | undefined; ownerManager?: string | undefined },
  policy: ReminderPolicy,
): Trigger[] {
  const out: Trigger[] = [];
  const add = (kind: ReminderKind, recipient: string | null | undefined) => {
    if (recipient && !out.some((t) => t.recipient === recipient && t.kind === kind)) out.push({ kind, recipient });
  };

  if (action.status === 'verified') {
    if (action.recheckOn === day) add('recheck', action.owner ?? people.incidentOwner);
    return out;
  }
  if (action.status === 'done') {
    // Someone other than the owner must verify; the incident owner hears about it on the day and weekly after.
    const since = action.doneAt ? daysLate(localDate(action.timezone, action.doneAt), day) : -1;
    if (since >= 0 && since % policy.overdueEvery === 0 && people.incidentOwner !== action.owner) add('verify', people.incidentOwner);
    return out;
  }
  if (isClosed(action.status) || !action.dueDate) return out;

  const late = daysLate(action.dueDate, day);
  let kind: ReminderKind | undefined;
  if (late <= 0 && policy.beforeDays.includes(-late)) kind = late === 0 ? 'due_today' : 'before_due';
  if (late > 0 && late % policy.overdueEvery === 0) kind = 'overdue';
  // A snooze quiets the owner's reminders only: escalation is for the people who asked for the fix.
  const snoozed = !!action.snoozedUntil && day < action.snoozedUntil;
  if (kind && !action.owner) add('unowned', people.incidentOwner);
  else if (kind && !snoozed) add(kind, action.owner);

  if (late >= policy.escalateAfter && (late - policy.escalateAfter) % policy.overdueEvery === 0) {
    // An unowned action already goes to the incident owner as such.
    if (action.owner && people.incidentOwner !== action.owner) add('escalation', people.incidentOwner);
    add('escalation', people.ownerManager);
  }
  return out;
}
