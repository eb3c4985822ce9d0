import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { listActionsQuery } from '../actions/schemas.js';
import { listIncidentsQuery } from '../incidents/schemas.js';
import { actionPages, incidentPages, type Reads } from './data.js';

/**
 * Incidents and actions as CSV (UTF-8 with a BOM, so a spreadsheet reads Chinese right; one column per
 * field, nested sections flattened to dotted names that never depend on the data) or JSON lines, written
 * page by page so an export of any size streams.
 */
export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportKind = 'incidents' | 'actions';

const format = { format: z.enum(EXPORT_FORMATS).default('csv').describe('csv (UTF-8 with BOM) or jsonl (one JSON object a line)') };
export const incidentExportQuery = listIncidentsQuery.omit({ page: true, pageSize: true }).extend(format);
export const actionExportQuery = listActionsQuery.omit({ page: true, pageSize: true }).extend(format);

const durations = ['timeToDetect', 'timeToMitigate', 'timeToResolve', 'impactDuration', 'dataRepair'].flatMap((d) => [`durations.${d}.minutes`, `durations.${d}.approximate`]);
const windowFields = ['startedAt', 'detectedAt', 'mitigatedAt', 'resolvedAt'];

export const COLUMNS: Record<ExportKind, string[]> = {
  incidents: [
    'key', 'title', 'summary', 'severity', 'status', 'timezone', 'locale', 'services', 'tags', 'owner', 'reporter',
    'detection.source', 'detection.detail',
    ...windowFields.map((f) => `window.${f}`),
    ...windowFields.map((f) => `instants.${f}.at`),
    ...durations,
    'impact.summary', 'impact.customerFacing', 'impact.affected', 'impact.errorRatios',
    'cause.trigger', 'cause.rootCauses', 'cause.contributingFactors',
    'remediation.summary', 'remediation.timeline',
    'dataRepair.description', 'dataRepair.range.from', 'dataRepair.range.to', 'dataRepair.startedAt', 'dataRepair.completedAt', 'dataRepair.rowsRepaired',
    'lessons.wentWell', 'lessons.wentWrong', 'lessons.gotLucky',
    'review.participants', 'review.reportUrl', 'links',
    'closedAt', 'version', 'createdAt', 'updatedAt', 'id',
  ],
  actions: [
    'key', 'incidentKey', 'title', 'description', 'type', 'priority', 'status', 'statusReason', 'owner', 'unowned', 'team',
    'dueDate', 'dueDateSource', 'overdue', 'timezone', 'ticket.key', 'ticket.url', 'completionNote', 'evidence',
    'doneAt', 'verifiedBy', 'verifiedAt', 'recheckOn', 'snoozedUntil', 'recurring', 'recurredIn',
    'version', 'createdAt', 'updatedAt', 'id',
  ],
};

const get = (row: unknown, path: string) => path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), row);

/** A cell's text: lists one item a line, an object item as `name=value, …`. */
function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(cellText).join('\n');
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}=${cellText(v)}`).join(', ');
  return String(value);
}

/**
 * A cell as text, a typed number or flag as it is. Text starting with = + - @, a tab or a carriage return is
 * prefixed with ' so a spreadsheet shows it instead of running it as a formula (OWASP, "CSV Injection").
 */
function cell(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = cellText(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** Rows as RFC 4180 CSV with CRLF line ends; csv-stringify quotes what needs quoting. */
function csvRows(rows: unknown[][]): string {
  return stringify(
    rows.map((row) => row.map(cell)),
    { record_delimiter: 'windows' },
  );
}

/**
 * Writes the export: `write` gets each chunk (awaited, so a slow reader holds the reads back), `progress`
 * the rows written so far and the total.
 */
export async function writeExport(
  reads: Reads,
  kind: ExportKind,
  query: Record<string, unknown> & { format: ExportFormat },
  write: (chunk: string) => Promise<void> | void,
  progress?: (done: number, total: number) => void,
): Promise<number> {
  const { format: fmt, ...filters } = query;
  const columns = COLUMNS[kind];
  if (fmt === 'csv') await write(`\uFEFF${csvRows([columns])}`);
  const pages = kind === 'incidents' ? incidentPages(reads, filters as never) : actionPages(reads, filters as never);
  let done = 0;
  for await (const { items, total } of pages) {
    const chunk = fmt === 'csv' ? csvRows(items.map((item) => columns.map((c) => get(item, c)))) : items.map((item) => `${JSON.stringify(item)}\n`).join('');
    if (chunk) await write(chunk);
    done += items.length;
    progress?.(done, total);
  }
  return done;
}
