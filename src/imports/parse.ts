import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { CreateIncidentInput } from '../incidents/schemas.js';
import { parseEntry, type EntryOptions, type LineReading } from './entry.js';
import { note, type ImportWarning } from './notes.js';
import { findEntries } from './reports.js';
import type { Config } from '../lib/config.js';
import { zoneNamed } from '../lib/time.js';

export type { ImportWarning } from './notes.js';

/** An incident proposed for one entry of a weekly report. */
export interface Proposal {
  /** Position among the entries found (0-based); the page and the CLI name entries by it. */
  index: number;
  /** First and last line of the entry in the text given (1-based). */
  line: number;
  endLine: number;
  /** SHA-256 of the entry's normalised text: the same entry imported again is recognised by it. */
  fingerprint: string;
  incident: CreateIncidentInput;
  warnings: ImportWarning[];
  /** Each non-blank line of the entry with the fields it filled; a line that filled none is in a warning. */
  reading: LineReading[];
}

export interface ParsedReports {
  proposals: Proposal[];
  /** What was found outside any entry (a bullet without a date, a report without a dated title). */
  warnings: ImportWarning[];
}

/**
 * The same entry pasted twice, re-exported with other spacing or full-width signs, hashes the same:
 * compatibility forms are folded (NFKC: `：` is `:`) and whitespace is dropped.
 */
export function fingerprintOf(entryText: string): string {
  return createHash('sha256').update(entryText.normalize('NFKC').replace(/\s+/g, '')).digest('hex');
}

/** The parser's options from the configuration, for reports written in `timezone` and read on `today`. */
export function parseOptions(config: Pick<Config, 'SEVERITY_LEVELS' | 'IMPORT_LEVELS'>, timezone: string, today: Date): EntryOptions & { today: Date } {
  return { timezone, severityLevels: config.SEVERITY_LEVELS, levels: config.IMPORT_LEVELS, today };
}

/** Reads one or many weekly reports and proposes an incident for each entry of its incident sections (生产稳定性事件, 事故, 故障). Pure: it writes nothing. */
export function parseWeeklyReports(text: string, options: EntryOptions & { today: Date }): ParsedReports {
  const today = DateTime.fromJSDate(options.today, { zone: zoneNamed(options.timezone) }).setZone('UTC', { keepLocalTime: true }).startOf('day');
  const found = findEntries(text, today);
  const warnings = [...found.warnings];
  const proposals: Proposal[] = [];
  const seen = new Map<string, number>();
  for (const entry of found.entries) {
    const parsed = parseEntry(entry, options);
    if ('unread' in parsed) {
      warnings.push(parsed.unread);
      continue;
    }
    const fingerprint = fingerprintOf(entry.lines.join('\n'));
    const twin = seen.get(fingerprint);
    if (twin !== undefined) parsed.warnings.push(note(entry.line, 'twin', { line: twin }));
    else seen.set(fingerprint, entry.line);
    parsed.incident.source = { ...parsed.incident.source!, fingerprint };
    proposals.push({ index: proposals.length, line: entry.line, endLine: entry.line + entry.lines.length - 1, fingerprint, ...parsed });
  }
  return { proposals, warnings };
}
