import type { Actor } from '../http/actor.js';
import { Unprocessable, type FieldError } from '../lib/errors.js';
import { zodFieldErrors } from '../http/validate.js';
import type { IncidentsService } from '../incidents/service.js';
import { checkIncidentFields } from '../incidents/rules.js';
import { createIncidentBody, type CreateIncidentInput } from '../incidents/schemas.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { isDuplicateKey } from '../lib/db.js';
import type { ImportFingerprintDoc, ImportFingerprintModel } from './model.js';
import { parseOptions, parseWeeklyReports, type Proposal } from './parse.js';
import type { ImportedEntry, ImportResult, ImportWeeklyReportsInput } from './schemas.js';

/** What a person changed on the import page: entries left out, and by entry index the fields they corrected (each replaces the proposal's). */
export interface ImportChoices {
  skip?: ReadonlySet<number>;
  edits?: ReadonlyMap<number, Partial<CreateIncidentInput>>;
}

/**
 * Imports the team's history from its weekly reports: proposes an incident for each 生产稳定性事件
 * entry, and files the new ones through the incidents service (keys, SLA due dates, audit, revisions as
 * for any filing). An entry is claimed by inserting its fingerprint before it is filed, so importing the
 * same text again, or twice at once, files it once.
 */
export class ImportsService {
  constructor(
    private readonly deps: {
      incidents: Pick<IncidentsService, 'create'>;
      fingerprints: ImportFingerprintModel;
      clock: Clock;
      config: Config;
    },
  ) {}

  async weeklyReports(input: ImportWeeklyReportsInput, actor: Actor, choices: ImportChoices = {}): Promise<ImportResult> {
    const { config, clock } = this.deps;
    const timezone = input.timezone ?? config.DEFAULT_TIMEZONE;
    const parsed = parseWeeklyReports(input.text, parseOptions(config, timezone, clock.now()));
    if (!parsed.proposals.length) {
      throw new Unprocessable('No incident entry (生产稳定性事件, 事故, 故障) found: nothing to import', [
        { field: 'text', message: 'expected a dated bullet ("- 2/5 8:48~9:50 …") under a 生产稳定性事件 line' },
      ]);
    }
    const entries = await Promise.all(parsed.proposals.map((p) => this.assess(p, choices)));
    markTwins(entries);
    const result: ImportResult = { dryRun: input.dryRun, timezone, entries, warnings: parsed.warnings, filed: [] };
    if (input.dryRun) return result;

    const refused = entries.filter((e) => e.status === 'new' && e.errors.length);
    if (refused.length) {
      throw new Unprocessable(
        `${refused.length} entr${refused.length === 1 ? 'y' : 'ies'} cannot be filed as proposed; nothing was filed`,
        refused.flatMap((e) => e.errors.map((f) => ({ field: `entries.${e.index}.${f.field}`, message: `line ${e.line}: ${f.message}` }))),
      );
    }
    for (const entry of entries.filter((e) => e.status === 'new')) {
      const key = await this.file(entry, actor);
      if (key) Object.assign(entry, { status: 'filed', key });
      else Object.assign(entry, { status: 'imported', ...(await this.importedKey(entry.fingerprint)) });
      if (key) result.filed.push(key);
    }
    return result;
  }

  /** An entry as proposed (with the person's corrections), whether it was imported before, and what would stop it. */
  private async assess(p: Proposal, choices: ImportChoices): Promise<ImportedEntry> {
    const incident = { ...p.incident, ...choices.edits?.get(p.index) };
    const base = { index: p.index, line: p.line, endLine: p.endLine, fingerprint: p.fingerprint, incident, warnings: p.warnings, reading: p.reading };
    if (choices.skip?.has(p.index)) return { ...base, status: 'skipped', errors: [] };
    const before = await this.deps.fingerprints.findById(p.fingerprint).lean<ImportFingerprintDoc>();
    if (before) return { ...base, status: 'imported', ...(before.incidentKey ? { key: before.incidentKey } : {}), errors: [] };
    return { ...base, status: 'new', errors: this.problems(incident) };
  }

  /** The API's own checks on the proposal: its schema, then the rules across fields. */
  private problems(incident: CreateIncidentInput): FieldError[] {
    // An accident whose report names no level is not filed at the default severity: a person chooses it.
    if (!incident.severity) return [{ field: 'severity', message: 'the report gives no level: choose one' }];
    const parsed = createIncidentBody.safeParse(incident, { reportInput: true });
    if (!parsed.success) return zodFieldErrors(parsed.error);
    const { severity, timezone } = parsed.data;
    return checkIncidentFields({ ...parsed.data, severity: severity!, timezone: timezone! }, this.deps.config.SEVERITY_LEVELS);
  }

  /** Claims the entry and files it; undefined when another import holds the claim. A failed filing releases it. */
  private async file(entry: ImportedEntry, actor: Actor): Promise<string | undefined> {
    const { fingerprints, clock, incidents } = this.deps;
    const reportTitle = entry.incident.source?.reportTitle;
    try {
      await fingerprints.create({ _id: entry.fingerprint, claimedAt: clock.now(), by: actor.email, ...(reportTitle ? { reportTitle } : {}) });
    } catch (err) {
      if (isDuplicateKey(err)) return undefined;
      throw err;
    }
    let key: string;
    try {
      key = (await incidents.create(createIncidentBody.parse(entry.incident), actor)).key;
    } catch (err) {
      await fingerprints.deleteOne({ _id: entry.fingerprint });
      throw err;
    }
    await fingerprints.updateOne({ _id: entry.fingerprint }, { $set: { incidentKey: key } });
    return key;
  }

  private async importedKey(fingerprint: string): Promise<{ key?: string }> {
    const doc = await this.deps.fingerprints.findById(fingerprint).lean<ImportFingerprintDoc>();
    return doc?.incidentKey ? { key: doc.incidentKey } : {};
  }
}

/** The second of two entries with the same text is the first one's duplicate. */
function markTwins(entries: ImportedEntry[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.status === 'skipped') continue;
    if (seen.has(e.fingerprint) && e.status === 'new') Object.assign(e, { status: 'duplicate', errors: [] });
    seen.add(e.fingerprint);
  }
}
