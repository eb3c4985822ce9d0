import { z } from 'zod';
import type { ImportWarning } from './notes.js';
import { INCIDENT_STATUSES, zone, type CreateIncidentInput } from '../incidents/schemas.js';

export const importWeeklyReportsBody = z.strictObject({
  text: z
    .string()
    .min(1)
    .max(1_000_000)
    .describe('one or many weekly reports (Markdown or plain text, as a wiki exports them), pasted one after another'),
  timezone: zone.optional().describe('the zone the reports\' times were written in; default DEFAULT_TIMEZONE'),
  dryRun: z.boolean().default(true).describe('true (the default): answer the proposals and write nothing; false: file the new ones'),
});
export type ImportWeeklyReportsInput = z.output<typeof importWeeklyReportsBody>;

const warning = z.object({ line: z.number().int(), message: z.string().describe("in the reader's language (Accept-Language: zh-CN or English)") });

/** The answer, for the OpenAPI document. */
export const importResult = z.object({
  dryRun: z.boolean(),
  timezone: z.string(),
  entries: z.array(
    z.object({
      index: z.number().int(),
      line: z.number().int().describe('first line of the entry in the text sent (1-based)'),
      endLine: z.number().int(),
      fingerprint: z.string().describe("SHA-256 of the entry's normalised text"),
      status: z
        .enum(['new', 'filed', 'imported', 'duplicate', 'skipped'])
        .describe('new: would be filed; filed: filed now; imported: filed before (key) or being filed; duplicate: same text as an earlier entry; skipped: left out'),
      key: z.string().optional().describe('the incident filed for it (filed, imported)'),
      incident: z.object({ title: z.string(), status: z.enum(INCIDENT_STATUSES) }).loose().describe('the body POST /api/v1/incidents would take'),
      warnings: z.array(warning),
      reading: z
        .array(z.object({ line: z.number().int(), fields: z.array(z.string()) }))
        .describe('each non-blank line of the entry and the fields it filled (title, window, severity, cause, remediation, actions, errorRatio …); a line that filled none is named in a warning'),
      errors: z.array(z.object({ field: z.string(), message: z.string() })).describe('what stops it being filed'),
    }),
  ),
  warnings: z.array(warning).describe('lines outside any entry that were not imported'),
  filed: z.array(z.string()).describe('keys filed by this request'),
});
type Documented = z.output<typeof importResult>;
type Warned = { warnings: ImportWarning[] };
export type ImportedEntry = Omit<Documented['entries'][number], 'incident' | 'warnings'> & Warned & { incident: CreateIncidentInput };
export type ImportResult = Omit<Documented, 'entries' | 'warnings'> & Warned & { entries: ImportedEntry[] };
