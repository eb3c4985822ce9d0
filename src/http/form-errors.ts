import { localMessage, term } from '../documents/format.js';
import { ui } from '../documents/ui-strings.js';
import type { Locale } from '../lib/config.js';
import type { FieldError } from '../lib/errors.js';

/**
 * A service's or schema's message about a field, in the person's words and locale: the API speaks in
 * field paths ("must not be before window.startedAt"), a form names what the person sees. `label` turns an
 * API path into the label of its input. A message of no known kind falls back to a plain "not accepted".
 */
export function formMessage(e: FieldError, locale: Locale, label: (path: string) => string): string {
  if (e.said) return localMessage(e, locale);
  const m = e.message;
  let match: RegExpExecArray | null;
  if ((match = /^must not be before ([\w.]+)/.exec(m))) return ui(locale, 'form.notBefore', { other: label(match[1]!) });
  if ((match = /^required when status is (\w+)/.exec(m))) return ui(locale, 'form.neededForStatus', { status: term('incidentStatus', match[1]!, locale) });
  if ((match = /^(\S+) does not exist in (\S+): the clocks skipped it/.exec(m))) return ui(locale, 'form.skippedTime', { time: match[1]!.replace('T', ' '), zone: match[2]! });
  if (/^must be one of/.test(m)) return ui(locale, 'form.choose');
  if (/IANA time zone/.test(m)) return ui(locale, 'form.zone');
  if (/must not exceed totalRows/.test(m)) return ui(locale, 'form.moreErrorsThanRows');
  if (/must be greater than 0/.test(m)) return ui(locale, 'form.positive');
  if (/email/i.test(m)) return ui(locale, 'form.email');
  if (/url/i.test(m)) return ui(locale, 'form.url');
  if (/must be a date|a local time|not a valid time/i.test(m)) return ui(locale, 'form.time');
  if (/expected number|not a number|expected int|Invalid input: expected/i.test(m) && /number|int/.test(m)) return ui(locale, 'form.number');
  if (/Too small|>=1 characters|Required|expected string, received undefined|required/i.test(m)) return ui(locale, 'form.needed');
  if (/Too big|too long|<=\d+/i.test(m)) return ui(locale, 'form.tooLong');
  if (/Invalid option|expected one of/i.test(m)) return ui(locale, 'form.choose');
  return ui(locale, 'form.invalid');
}
