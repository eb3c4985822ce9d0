import type { FieldError } from '../lib/errors.js';
import { getOr } from '../lib/maps.js';
import { bounds, isSkippedLocalTime, parseInstant } from '../lib/time.js';
import type { IncidentFields } from './convert.js';
import { WINDOW_FIELDS, type IncidentStatus } from './schemas.js';

/** Checks that need more than one field: severity scale, time order, what a status needs. */
export function checkIncidentFields(fields: IncidentFields & { timezone: string; severity: string }, severities: string[]): FieldError[] {
  const errors: FieldError[] = [];
  if (!severities.includes(fields.severity)) {
    errors.push({ field: 'severity', message: `must be one of ${severities.join(', ')}` });
  }
  const zone = fields.timezone;
  errors.push(...skippedLocalTimes(fields, zone));
  // a ≤ b, where a day-precision time may stand for any moment of its day; each time's span is worked
  // out once, as it is compared with every other.
  const spans = new Map<string, { earliest: number; latest: number }>();
  const spanOf = (text: string) => getOr(spans, text, () => bounds(parseInstant(text, zone), zone));
  const inOrder = (a: string, b: string) => spanOf(a).earliest <= spanOf(b).latest;
  const present = WINDOW_FIELDS.filter((f) => fields.window?.[f]);
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      const [a, b] = [present[i]!, present[j]!];
      if (!inOrder(fields.window![a]!, fields.window![b]!)) {
        errors.push({ field: `window.${b}`, message: `must not be before window.${a} (${fields.window![a]})` });
      }
    }
  }
  const repair = fields.dataRepair;
  if (repair?.startedAt && repair.completedAt && !inOrder(repair.startedAt, repair.completedAt)) {
    errors.push({ field: 'dataRepair.completedAt', message: `must not be before dataRepair.startedAt (${repair.startedAt})` });
  }
  // Both dates (yyyy-MM-dd): their text order is their time order.
  if (repair?.range && repair.range.to < repair.range.from) {
    errors.push({ field: 'dataRepair.range.to', message: `must not be before dataRepair.range.from (${repair.range.from})` });
  }
  const needs: Partial<Record<IncidentStatus, (typeof WINDOW_FIELDS)[number]>> = {
    mitigated: 'mitigatedAt',
    resolved: 'resolvedAt',
    closed: 'resolvedAt',
  };
  const needed = fields.status ? needs[fields.status] : undefined;
  if (needed && !fields.window?.[needed]) {
    errors.push({ field: `window.${needed}`, message: `required when status is ${fields.status}` });
  }
  return errors;
}

/**
 * Local times the zone's clocks skipped (a daylight-saving gap: 02:30 on the night clocks go from 02:00 to
 * 03:00): refused, rather than silently moved to another time than the person wrote.
 */
function skippedLocalTimes(fields: IncidentFields, zone: string): FieldError[] {
  const times: [string, string | undefined][] = [
    ...WINDOW_FIELDS.map((f) => [`window.${f}`, fields.window?.[f]] as [string, string | undefined]),
    ...(fields.remediation?.timeline ?? []).map((e, i) => [`remediation.timeline.${i}.at`, e.at] as [string, string | undefined]),
    ['dataRepair.startedAt', fields.dataRepair?.startedAt],
    ['dataRepair.completedAt', fields.dataRepair?.completedAt],
  ];
  return times.flatMap(([field, text]) =>
    text && isSkippedLocalTime(text, zone) ? [{ field, message: `${text} does not exist in ${zone}: the clocks skipped it (daylight saving time)` }] : [],
  );
}

/** Status moves an incident may make; reopening is allowed, jumping back from closed to investigating is not. */
export const INCIDENT_TRANSITIONS: Record<IncidentStatus, IncidentStatus[]> = {
  investigating: ['mitigated', 'resolved'],
  mitigated: ['investigating', 'resolved'],
  resolved: ['investigating', 'mitigated', 'closed'],
  closed: ['resolved'],
};
