import { DateTime } from 'luxon';
import { timeZone } from '../lib/formats.js';
import { z } from 'zod';
import { LOCALES } from '../lib/config.js';
import { isDateText } from '../lib/time.js';
import { STATE_KEYS_NAMED } from './compute.js';

const MAX_DAYS = 366;
const date = z.string().refine(isDateText, 'must be a date like 2023-02-13').meta({ format: 'date' });
const zone = timeZone();

/** A period: a week in the configured numbering, or a from–to range of dates (both inclusive); neither means this week. */
const periodFields = {
  week: z
    .string()
    .regex(/^\d{4}-W?\d{2}$/, 'must be a week like 2023-W07 or 2023-08')
    .meta({ pattern: '^\\d{4}-W?\\d{2}$' })
    .optional()
    .describe('a week in WEEK_NUMBERING: 2023-W07 (iso) or 2023-08 (jan1: week 1 holds 1 January); its days are REPORT_WEEK_DAYS'),
  from: date.optional().describe('first day of a date range, instead of week'),
  to: date.optional().describe('last day of a date range (inclusive)'),
};

function checkPeriod(q: { week?: string; from?: string; to?: string }, ctx: z.RefinementCtx): void {
  if (q.week && (q.from || q.to)) ctx.addIssue({ code: 'custom', path: ['week'], message: 'give either week or from and to, not both' });
  if (!q.from !== !q.to) ctx.addIssue({ code: 'custom', path: [q.from ? 'to' : 'from'], message: 'from and to go together' });
  if (q.from && q.to && q.to < q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: `must not be before from (${q.from})` });
  // A report reads every incident and action of its period; a year is the most anyone writes one for.
  if (q.from && q.to && DateTime.fromISO(q.to).diff(DateTime.fromISO(q.from), 'days').days > MAX_DAYS) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${MAX_DAYS} days after from` });
  }
}

export const periodQuery = z.strictObject(periodFields).superRefine(checkPeriod);
export type PeriodQuery = z.output<typeof periodQuery>;

/** Which report, for which days, in which zone, locale and format. */
export const reportQuery = z
  .strictObject({
    ...periodFields,
    timezone: zone.optional().describe('the zone days start in; defaults to DEFAULT_TIMEZONE'),
    tz: zone.optional().describe('same as timezone'),
    date: date.optional().describe("the report's date in its title (第08周 2023/02/18); defaults to today, or the period's last day once it has passed"),
    locale: z.enum(LOCALES).optional().describe('defaults to DEFAULT_LOCALE'),
    format: z.enum(['md', 'html', 'json']).default('md').describe('json gives the numbers and keys'),
  })
  .superRefine(checkPeriod);
export type ReportQuery = z.output<typeof reportQuery>;

const keys = z.object({ count: z.number(), keys: z.array(z.string()) });
const spanSummary = z.object({
  count: z.number().describe('incidents with both ends known'),
  medianMinutes: z.number().nullable(),
  p90Minutes: z.number().nullable().describe('90th percentile, interpolated between ranks'),
  approximate: z.number().describe('how many of them have an end known only to the day'),
});
const downtime = z.object({
  percent: z.number().describe('share of the time customers were not affected, in percent'),
  downMinutes: z.number(),
  approximate: z.boolean().describe('true when a day-precision time is involved'),
  incidents: z.array(z.string()).describe('the incidents that cost it'),
});

/** The report's numbers and keys: the JSON answer, and (with each incident's weekly entry) what the templates see. */
export const stabilityReport = z.object({
  period: z.object({
    week: z.string().optional().describe('the week, when one was asked for (2023-W07 or 2023-08)'),
    weekNumber: z.number().optional().describe('its number (8 for 第08周)'),
    from: z.string().describe('first day, yyyy-MM-dd in timezone'),
    to: z.string().describe('last day (inclusive)'),
    timezone: z.string(),
    date: z.string().describe("the report's date (yyyy-MM-dd)"),
    weekNumbering: z.enum(['iso', 'jan1']),
    weekDays: z.enum(['mon-sun', 'sun-sat']),
  }),
  generatedAt: z.string(),
  accidents: z.object({
    total: z.number(),
    buckets: z.array(z.object({ label: z.string().describe('e.g. AB'), levels: z.array(z.string()), count: z.number() })),
  }),
  stabilityEvents: z.object({ levels: z.array(z.string()), count: z.number() }).describe('incidents of the lowest level: not accidents'),
  bySeverity: z.array(z.object({ level: z.string(), count: z.number() })),
  incidents: z.array(
    z.object({
      key: z.string(),
      title: z.string(),
      severity: z.string(),
      status: z.string(),
      bucket: z.string().nullable().describe('accident bucket label; null for a stability event'),
      countedBy: z.enum(['startedAt', 'detectedAt']),
      at: z.string().describe('the instant it was counted by, in UTC'),
      customerFacing: z.boolean(),
      impactMinutes: z.number().nullable().describe('how long customers were affected, the impactDuration of the incident (null while it goes on)'),
      repeatOf: z.array(z.string()).describe('earlier incidents it repeats (shared service and root cause within 90 days): the 10 most recent, in key order'),
    }),
  ),
  successRates: z.array(z.object({ flow: z.string(), value: z.number().describe('percent'), note: z.string().optional() })).describe('recorded for exactly this period'),
  availability: z.object({
    target: z.number().describe('AVAILABILITY_TARGET, percent'),
    systems: z.array(z.object({ name: z.string(), services: z.array(z.string()), period: downtime, yearToDate: downtime, meetsTarget: z.boolean() })),
    unmapped: z
      .object({ count: z.number(), incidents: z.array(z.object({ key: z.string(), services: z.array(z.string()) })) })
      .describe('customer-facing incidents of the period in no service the catalog maps to a system: counted in no availability'),
  }),
  customerFacing: z.object({ minutes: z.number(), approximate: z.boolean(), incidents: z.array(z.string()) }).describe('customer-facing impact in the period (overlaps counted once)'),
  timeTo: z.object({ detect: spanSummary, mitigate: spanSummary, resolve: spanSummary }).describe('of the incidents of the period'),
  repeats: z.array(z.object({ key: z.string(), previous: z.array(z.string()).describe('the 10 most recent it repeats, in key order'), count: z.number().describe('how many earlier incidents it repeats') })),
  workItems: z.array(z.object({ kind: z.enum(['drill', 'other']), text: z.string() })).describe('stability work entered for the period'),
  verifiedActions: z.array(z.object({ key: z.string(), title: z.string() })).describe('corrective actions verified in the period'),
  actions: z.object({
    opened: keys.describe('entered the record in the period (filed with an imported postmortem: at its resolution)'),
    closed: keys.describe('done or declined in the period'),
    closedWithinSla: keys.describe('done in the period by their due date'),
    open: keys.describe(`open at the period's end (or now): all counted, the first ${STATE_KEYS_NAMED} named in report order`),
    overdue: keys.describe(`overdue at the period's end (or now): all counted, the first ${STATE_KEYS_NAMED} named`),
    unowned: keys.describe(`open and unowned at the period's end (or now): all counted, the first ${STATE_KEYS_NAMED} named`),
  }),
});
export type StabilityReport = z.output<typeof stabilityReport>;

export const metricBody = z.strictObject({
  ...periodFields,
  flow: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .refine((v) => !v.includes(':'), 'must not contain ":"')
    .describe('the named flow, e.g. 入金有效成功率'),
  value: z.coerce.number().min(0).max(100).describe('success rate in percent, e.g. 99.94'),
  note: z.string().trim().max(500).optional().describe('why it dipped, printed after the value'),
}).superRefine(checkPeriod);

export const metricDeleteQuery = z.strictObject({ ...periodFields, flow: z.string().min(1).max(100) }).superRefine(checkPeriod);

export const workItemsBody = z.strictObject({
  ...periodFields,
  items: z.array(z.strictObject({ kind: z.enum(['drill', 'other']).default('other'), text: z.string().trim().min(1).max(2000) })).max(50),
}).superRefine(checkPeriod);

export const emailBody = z
  .strictObject({
    ...periodFields,
    timezone: zone.optional(),
    date: date.optional(),
    locale: z.enum(LOCALES).optional(),
    template: z.enum(['weekly', 'stability']).default('weekly'),
    recipients: z.array(z.email().max(254).toLowerCase()).max(50).default([]).describe('who gets it by email'),
    chat: z.boolean().default(true).describe('the weekly report only: also post its section to the chat channels that take report.weekly'),
    requestId: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('sent again with the same requestId, nothing is sent again (a retried request); without it, the same report to the same person is not sent twice'),
  })
  .superRefine(checkPeriod)
  .superRefine((b, ctx) => {
    if (!b.recipients.length && !(b.template === 'weekly' && b.chat)) {
      ctx.addIssue({ code: 'custom', path: ['recipients'], message: 'name at least one recipient, or send the weekly report to chat' });
    }
  });
export type EmailBody = z.output<typeof emailBody>;

export const CHART_NAMES = ['incidents-by-week', 'time-to-resolve', 'actions-opened-closed', 'availability'] as const;
export const chartParams = z.strictObject({ name: z.enum(CHART_NAMES) });
export const chartQuery = z
  .strictObject({ ...periodFields, timezone: zone.optional(), tz: zone.optional(), locale: z.enum(LOCALES).optional(), format: z.enum(['svg', 'json']).default('svg') })
  .superRefine(checkPeriod);
