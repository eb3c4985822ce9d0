import { z } from 'zod';
import { LOCALES } from '../lib/config.js';
import { INSTANT_FORMAT_HINT, INSTANT_PATTERN, isDateText, isInstantText } from '../lib/time.js';
import { actionInput } from '../actions/schemas.js';
import { pageQuery } from '../http/paging.js';
import { emailAddress, linkUrl, timeZone } from '../lib/formats.js';

export const INCIDENT_STATUSES = ['investigating', 'mitigated', 'resolved', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export const DETECTION_SOURCES = ['monitoring', 'alert', 'customer_report', 'business_report', 'internal'] as const;
export const WINDOW_FIELDS = ['startedAt', 'detectedAt', 'mitigatedAt', 'resolvedAt'] as const;

const text = (max: number) => z.string().trim().max(max);
const line = text(500);
const longText = text(20_000);
export const email = emailAddress();
export const instant = z.string().refine(isInstantText, `must be ${INSTANT_FORMAT_HINT}`).meta({ description: INSTANT_FORMAT_HINT, pattern: INSTANT_PATTERN });
export const date = z.string().refine(isDateText, 'must be a date like 2023-02-09').meta({ format: 'date' });
export const zone = timeZone();
const list = (item: z.ZodType<string>, max = 50) => z.array(item).max(max);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const errorRatio = z
  .strictObject({
    label: line.min(1),
    totalRows: count.min(1, 'must be greater than 0'),
    errorRows: count,
    stated: text(20).min(1).optional().describe('the percentage as the source wrote it (0.409%); the ratio itself is always computed'),
  })
  .superRefine((r, ctx) => {
    if (r.errorRows > r.totalRows) ctx.addIssue({ code: 'custom', path: ['errorRows'], message: 'must not exceed totalRows' });
  });

const sections = {
  summary: longText,
  severity: z.string().min(1).max(20),
  timezone: zone,
  locale: z.enum(LOCALES),
  services: list(text(100).min(1)),
  tags: list(text(100).min(1)),
  owner: email,
  reporter: email,
  detection: z.strictObject({ source: z.enum(DETECTION_SOURCES), detail: longText.optional() }),
  window: z.strictObject(Object.fromEntries(WINDOW_FIELDS.map((f) => [f, instant.optional()])) as Record<(typeof WINDOW_FIELDS)[number], z.ZodOptional<typeof instant>>),
  impact: z.strictObject({
    summary: longText.optional(),
    customerFacing: z.boolean().optional(),
    affected: z.array(z.strictObject({ label: line.min(1), count })).max(50).optional(),
    errorRatios: z.array(errorRatio).max(50).optional(),
  }),
  cause: z.strictObject({
    trigger: longText.optional(),
    rootCauses: list(longText.min(1)).optional(),
    contributingFactors: list(longText.min(1)).optional(),
  }),
  remediation: z.strictObject({
    summary: longText.optional(),
    timeline: z.array(z.strictObject({ at: instant, text: longText.min(1) })).max(500).optional(),
  }),
  dataRepair: z.strictObject({
    description: longText.optional(),
    range: z.strictObject({ from: date, to: date }).optional(),
    startedAt: instant.optional(),
    completedAt: instant.optional(),
    rowsRepaired: count.optional(),
  }),
  lessons: z.strictObject({
    wentWell: list(longText.min(1)).optional(),
    wentWrong: list(longText.min(1)).optional(),
    gotLucky: list(longText.min(1)).optional(),
  }),
  review: z.strictObject({
    participants: list(text(200).min(1)).optional(),
    reportUrl: linkUrl().optional(),
  }),
  links: z.array(z.strictObject({ title: line.optional(), url: linkUrl() })).max(100),
};

/** Where an imported incident came from, verbatim; set when filed and not edited afterwards. */
export const incidentSource = z
  .strictObject({
    reportTitle: line.min(1).optional(),
    text: longText.min(1),
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex').optional().describe("hash of the entry's normalised text; re-imports skip it"),
  })
  .describe('the original text of an imported weekly-report entry');
export type IncidentSource = z.output<typeof incidentSource>;

export const createIncidentBody = z.strictObject({
  title: line.min(1),
  status: z.enum(INCIDENT_STATUSES).default('investigating'),
  ...Object.fromEntries(Object.entries(sections).map(([k, s]) => [k, s.optional()])),
  source: incidentSource.optional(),
  actions: z.array(actionInput).max(100).optional(),
}) as unknown as z.ZodType<CreateIncidentInput>;

export interface CreateIncidentInput extends Partial<{ [K in keyof typeof sections]: z.output<(typeof sections)[K]> }> {
  title: string;
  status: IncidentStatus;
  source?: IncidentSource;
  actions?: z.output<typeof actionInput>[];
}

/** A section whose keys may each be sent as null, to clear that key alone in a PATCH. */
const clearable = (schema: z.ZodType) =>
  schema instanceof z.ZodObject ? z.strictObject(Object.fromEntries(Object.entries(schema.shape as Record<string, z.ZodType>).map(([k, v]) => [k, v.nullable()]))) : schema;

/** PATCH replaces the fields it names; inside a section it replaces the keys it names; null clears (a field or a section's key). */
const KEPT_FIELDS = new Set(['severity', 'timezone', 'locale']);

export const patchIncidentBody = z.strictObject({
  version: z.number().int().min(0),
  title: line.min(1).optional(),
  status: z.enum(INCIDENT_STATUSES).optional(),
  // null clears a field (or one key of a section), except those every incident has (its severity, and the zone and locale its times and documents are read in).
  ...Object.fromEntries(Object.entries(sections).map(([k, s]) => [k, KEPT_FIELDS.has(k) ? s.optional() : clearable(s).nullable().optional()])),
}) as unknown as z.ZodType<PatchIncidentInput>;

type Clearable<T> = T extends unknown[] ? T : T extends object ? { [K in keyof T]?: T[K] | null } : T;
export type PatchIncidentInput = { version: number; title?: string; status?: IncidentStatus } & Partial<{
  [K in keyof typeof sections]: Clearable<z.output<(typeof sections)[K]>> | null;
}>;

const csv = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .optional();

export const SORTABLE = ['startedAt', 'createdAt', 'updatedAt', 'key', 'severity', 'status'] as const;

export const listIncidentsQuery = z.strictObject({
  status: csv.describe('comma-separated statuses'),
  severity: csv.describe('comma-separated severity levels'),
  service: z.string().max(100).optional(),
  tag: z.string().max(100).optional(),
  owner: z.string().max(254).optional(),
  startedFrom: instant.optional().describe('incidents started at or after this time (dates are read in DEFAULT_TIMEZONE)'),
  startedTo: instant.optional().describe('incidents started at or before this time'),
  q: z.string().max(200).optional().describe('free text over title, summary, impact and cause'),
  sort: z
    .enum([...SORTABLE, ...SORTABLE.map((s) => `-${s}` as const)])
    .default('-startedAt'),
  ...pageQuery,
});
export type ListIncidentsQuery = z.output<typeof listIncidentsQuery>;

export const incidentKeyParams = z.strictObject({ key: z.string().max(100) });
