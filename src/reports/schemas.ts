import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { LOCALES } from '../lib/config.js';
import { isDateText } from '../lib/time.js';

const MAX_DAYS = 366;
const date = z.string().refine(isDateText, 'must be a date like 2023-02-13').meta({ format: 'date' });

/** Which days the report covers: an ISO week, or a from–to range of dates (both inclusive); neither means this week. */
export const weeklyQuery = z
  .strictObject({
    week: z
      .string()
      .refine((v) => /^\d{4}-W\d{2}$/.test(v) && DateTime.fromISO(v).isValid, 'must be an ISO week like 2023-W07')
      .meta({ pattern: '^\\d{4}-W\\d{2}$' })
      .optional().describe('ISO week, e.g. 2023-W07 (Monday to Sunday)'),
    from: date.optional().describe('first day of a date range, instead of week'),
    to: date.optional().describe('last day of a date range (inclusive)'),
    timezone: z
      .string()
      .refine((v) => IANAZone.isValidZone(v), 'not an IANA time zone (e.g. Asia/Shanghai)')
      .optional()
      .describe('the zone days start in; defaults to DEFAULT_TIMEZONE'),
    locale: z.enum(LOCALES).optional().describe('defaults to DEFAULT_LOCALE'),
    format: z.enum(['md', 'html', 'json']).default('md').describe('json gives the numbers and keys'),
  })
  .superRefine((q, ctx) => {
    if (q.week && (q.from || q.to)) ctx.addIssue({ code: 'custom', path: ['week'], message: 'give either week or from and to, not both' });
    if (!q.from !== !q.to) ctx.addIssue({ code: 'custom', path: [q.from ? 'to' : 'from'], message: 'from and to go together' });
    if (q.from && q.to && q.to < q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: `must not be before from (${q.from})` });
    // A report reads every incident and action of its period; a year is the most anyone writes one for.
    if (q.from && q.to && DateTime.fromISO(q.to).diff(DateTime.fromISO(q.from), 'days').days > MAX_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${MAX_DAYS} days after from` });
    }
  });
export type WeeklyQuery = z.output<typeof weeklyQuery>;

const keys = z.object({ count: z.number(), keys: z.array(z.string()) });

/** The report's numbers and keys: the JSON answer, and (with each incident's weekly entry) what the templates see. */
export const weeklyReport = z.object({
  period: z.object({
    week: z.string().optional().describe('the ISO week, when one was asked for'),
    from: z.string().describe('first day, yyyy-MM-dd in timezone'),
    to: z.string().describe('last day (inclusive)'),
    timezone: z.string(),
  }),
  generatedAt: z.string(),
  accidents: z.object({
    total: z.number(),
    buckets: z.array(z.object({ label: z.string().describe('e.g. AB'), levels: z.array(z.string()), count: z.number() })),
  }),
  stabilityEvents: z.object({ levels: z.array(z.string()), count: z.number() }).describe('incidents of the lowest level: not accidents'),
  incidents: z.array(
    z.object({
      key: z.string(),
      title: z.string(),
      severity: z.string(),
      status: z.string(),
      bucket: z.string().nullable().describe('accident bucket label; null for a stability event'),
      countedBy: z.enum(['startedAt', 'detectedAt']),
      at: z.string().describe('the instant it was counted by, in UTC'),
    }),
  ),
  actions: z.object({
    opened: keys.describe('created in the period'),
    closed: keys.describe('done or declined in the period'),
    overdue: keys.describe('overdue now'),
    unowned: keys.describe('open and unowned now'),
  }),
});
export type WeeklyReport = z.output<typeof weeklyReport>;
