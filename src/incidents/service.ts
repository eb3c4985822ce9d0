import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import type { ActionDoc } from '../actions/model.js';
import type { ActionsService, DraftAction } from '../actions/service.js';
import type { ActionInput } from '../actions/schemas.js';
import type { AuditService } from '../audit/service.js';
import type { Actor } from '../http/actor.js';
import { isDuplicateKey } from '../lib/db.js';
import { allOf, comparator, pageOf } from '../lib/listing.js';
import type { Mirror } from '../lib/mirror.js';
import type { Repository } from '../lib/repository.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { bounds, parseInstant, zoneNamed } from '../lib/time.js';
import { BadRequest, Conflict, NotFound, staleVersion } from '../lib/errors.js';
import { toFields, toStored, toView, type IncidentFields, type IncidentView } from './convert.js';
import { formatIncidentKey, incidentLookup } from './keys.js';
import type { IncidentDoc, IncidentModel } from './model.js';
import { checkIncidentFields, INCIDENT_TRANSITIONS } from './rules.js';
import type { CreateIncidentInput, ListIncidentsQuery, PatchIncidentInput } from './schemas.js';

const MAX_KEY_ATTEMPTS = 200;
const SECTIONS = new Set(['detection', 'window', 'impact', 'cause', 'remediation', 'dataRepair', 'lessons', 'review']);

export class IncidentsService {
  constructor(
    private readonly deps: {
      incidents: IncidentModel;
      /** Lists and searches are read from here, kept fresh through the change feed. */
      mirror: Mirror;
      /** The only way incidents and their actions are written (src/lib/repository.ts). */
      records: { incidents: Repository<IncidentDoc>; actions: Repository<ActionDoc> };
      actions: ActionsService;
      audit: AuditService;
      /** Told of filings and status changes (chat channels, src/channels/events.ts). */
      events?: { filed(doc: IncidentDoc): Promise<void>; statusChanged(doc: IncidentDoc, from: string): Promise<void> };
      clock: Clock;
      config: Config;
    },
  ) {}

  /** The highest number this process took per year, so that its concurrent filings do not all try the same one. */
  private readonly lastSeq = new Map<number, number>();

  async create(input: CreateIncidentInput, actor: Actor): Promise<IncidentView & { actions: unknown[] }> {
    const { actions: actionInputs = [], ...rest } = input;
    const fields = this.withDefaults(rest);
    this.check(fields);
    if (fields.status === 'closed' && actionInputs.length > 0) {
      const titles = actionInputs.map((a) => a.title);
      throw new Conflict('An incident with open corrective actions cannot be filed as closed', { openActions: titles }).saying('closedWithOpenActions', { actions: titles.join('; ') });
    }
    const stored = toStored(fields);
    const now = this.deps.clock.now();
    const { doc, drafts, actions } = await this.insertWithKey(stored, this.keyYear(stored, now), now, fields.status === 'closed', actionInputs, actor);
    await this.deps.actions.assignedWithIncident(drafts, actor);
    await this.deps.audit.record(actor, { entity: 'incident', key: doc.key, incidentKey: doc.key, event: 'filed', note: doc.title });
    await this.deps.events?.filed(doc);
    // Answered from what was written: nothing to read back.
    return { ...toView(doc), actions: actions.map((a) => this.deps.actions.toView(a)) };
  }

  async get(keyOrId: string): Promise<IncidentView & { actions: unknown[] }> {
    return this.withActions(await this.find(keyOrId));
  }

  private async withActions(doc: IncidentDoc): Promise<IncidentView & { actions: unknown[] }> {
    return { ...toView(doc), actions: await this.deps.actions.listForIncident(doc._id) };
  }

  /** The incident as of every write acknowledged so far, from the read model (which rolled a stopped writer forward). */
  async find(keyOrId: string): Promise<IncidentDoc> {
    const lookup = incidentLookup(keyOrId);
    await this.deps.mirror.sync();
    const doc = !lookup
      ? undefined
      : 'key' in lookup
        ? this.deps.mirror.find<IncidentDoc>('incident', 'key', lookup.key)[0]
        : this.deps.mirror.get<IncidentDoc>('incident', lookup._id);
    if (!doc) throw new NotFound(`Incident ${keyOrId}`);
    return doc;
  }

  async list(q: ListIncidentsQuery): Promise<{ items: IncidentView[]; total: number; page: number; pageSize: number }> {
    await this.deps.mirror.sync();
    const zone = this.deps.config.DEFAULT_TIMEZONE;
    const owner = q.owner?.toLowerCase();
    const from = q.startedFrom ? bounds(parseInstant(q.startedFrom, zone), zone).earliest : undefined;
    const to = q.startedTo ? bounds(parseInstant(q.startedTo, zone), zone).latest : undefined;
    const text = q.q?.toLowerCase();
    const dir = q.sort.startsWith('-') ? -1 : 1;
    const field = q.sort.replace(/^-/, '');
    const value = field === 'startedAt' ? (d: IncidentDoc) => d.window?.startedAt?.at : (d: IncidentDoc) => (d as unknown as Record<string, unknown>)[field];
    const startedAt = (d: IncidentDoc) => d.window?.startedAt?.at.getTime();
    const { page: _page, pageSize: _pageSize, ...filters } = q;
    // Selected and sorted once, then patched as incidents change: the same filters asked again cost a lookup.
    const docs = this.deps.mirror.selection<IncidentDoc>(
      'incident',
      JSON.stringify(filters),
      comparator([[value, dir], [(d) => String(d._id), dir]]),
      allOf<IncidentDoc>([
        !!q.status?.length && ((d) => q.status!.includes(d.status)),
        !!q.severity?.length && ((d) => q.severity!.includes(d.severity)),
        !!q.service && ((d) => !!d.services?.includes(q.service!)),
        !!q.tag && ((d) => !!d.tags?.includes(q.tag!)),
        !!owner && ((d) => d.owner === owner),
        from !== undefined && ((d) => (startedAt(d) ?? -Infinity) >= from),
        to !== undefined && ((d) => (startedAt(d) ?? Infinity) <= to),
        !!text && ((d) => searchText(d).includes(text)),
      ]),
    );
    const items = pageOf(docs, q.page, q.pageSize);
    return { items: items.map(toView), total: docs.length, page: q.page, pageSize: q.pageSize };
  }

  async patch(keyOrId: string, patch: PatchIncidentInput, actor: Actor): Promise<IncidentView & { actions: unknown[] }> {
    const doc = await this.find(keyOrId);
    if (patch.version !== doc.version) throw staleVersion(`Incident ${doc.key}`, patch.version, doc.version);
    const { version, ...changes } = patch;
    const fields = merge(toFields(doc), changes);
    this.check(fields);
    if (fields.status !== doc.status) await this.checkTransition(doc, fields.status);
    const closedAt = fields.status === 'closed' ? (doc.closedAt ?? this.deps.clock.now()) : undefined;
    const now = this.deps.clock.now();
    const replacement = {
      ...toStored(fields),
      key: doc.key,
      year: doc.year,
      seq: doc.seq,
      ...(closedAt ? { closedAt } : {}),
      ...(doc.filedBy ? { filedBy: doc.filedBy } : {}),
      version: doc.version + 1,
      createdAt: doc.createdAt,
      updatedAt: now,
    };
    // A new incident's first state is kept from its first edit on (until then it is the record itself).
    const first = doc.version === 0 && doc.filedBy ? { by: doc.filedBy, at: doc.createdAt } : undefined;
    const stored = await this.deps.records.incidents.replace(doc, replacement, actor.email, now, first);
    if (!stored) {
      const current = await this.find(doc.key);
      throw staleVersion(`Incident ${doc.key}`, version, current.version);
    }
    const event = fields.status !== doc.status ? `status ${doc.status} → ${fields.status}` : 'updated';
    await this.deps.audit.recordChange(actor, { entity: 'incident', key: doc.key, incidentKey: doc.key, event }, toFields(doc), fields);
    if (fields.status !== doc.status) await this.deps.events?.statusChanged(stored, doc.status);
    return this.withActions(stored);
  }

  private async checkTransition(doc: IncidentDoc, to: IncidentFields['status'] & string): Promise<void> {
    const allowed = INCIDENT_TRANSITIONS[doc.status];
    if (!allowed.includes(to)) {
      throw new Conflict(`Incident ${doc.key} cannot move from ${doc.status} to ${to}; allowed: ${allowed.join(', ')}`, {
        from: doc.status,
        to,
        allowed,
      });
    }
    if (to === 'closed') {
      const open = await this.deps.actions.openForIncident(doc._id);
      if (open.length) {
        // Said by the status field, naming each open action, so the form marks what refused it.
        const named = open.map((a) => `${a.key} ${a.title}`).join('; ');
        const refusal = new Conflict(`Incident ${doc.key} has ${open.length} open corrective action(s) (${named}); close, verify or decline them first`, {
          openActions: open,
        }).saying('openActions', { key: doc.key, count: open.length, actions: named });
        refusal.fields.push({ field: 'status', message: `open corrective actions: ${named}`, said: { id: 'openActionsField', params: { actions: named } } });
        throw refusal;
      }
    }
  }

  private withDefaults(input: Omit<CreateIncidentInput, 'actions'>) {
    const { config } = this.deps;
    return {
      ...input,
      severity: input.severity ?? config.SEVERITY_LEVELS[config.SEVERITY_LEVELS.length - 1]!,
      timezone: input.timezone ?? config.DEFAULT_TIMEZONE,
      locale: input.locale ?? config.DEFAULT_LOCALE,
    };
  }

  private check(fields: IncidentFields & { timezone: string; severity: string }): void {
    const errors = checkIncidentFields(fields, this.deps.config.SEVERITY_LEVELS);
    if (errors.length) throw new BadRequest('Invalid incident', errors);
  }

  /** Keys count per year of the incident's start (in its time zone), so a late filing gets its real year. */
  private keyYear(stored: ReturnType<typeof toStored>, now: Date): number {
    const at = stored.window?.startedAt?.at ?? stored.window?.detectedAt?.at ?? now;
    return DateTime.fromJSDate(at, { zone: zoneNamed(stored.timezone) }).year;
  }

  /** The highest number of the year among the incidents acknowledged so far. */
  private async highestSeq(year: number): Promise<number> {
    await this.deps.mirror.sync();
    return this.deps.mirror.all<IncidentDoc>('incident').reduce((max, d) => (d.year === year ? Math.max(max, d.seq) : max), 0);
  }

  /**
   * Takes the next number of the year by storing the incident under its key (unique in the store): of
   * two creates that pick the same number, the second is refused and tries the next one, so no
   * read-modify-write race remains. Where to start is only a guess: after this process's last number
   * for the year, else (and after a number found taken) after the read model's highest. Numbers are
   * unique but not always in filing order: one freed by a filing undone in another process may be taken
   * later. The incident and its drafted actions are stored as one write (Repository.insertWith): a
   * refused incident leaves nothing, and actions that fail take the incident back with them (no
   * transactions on FerretDB), so a filing is never half-written.
   */
  private async insertWithKey(
    stored: ReturnType<typeof toStored>,
    year: number,
    now: Date,
    closed: boolean,
    actionInputs: ActionInput[],
    actor: Actor,
  ): Promise<{ doc: IncidentDoc; drafts: DraftAction[]; actions: ActionDoc[] }> {
    let caughtUp = !this.lastSeq.has(year);
    let floor = this.lastSeq.get(year) ?? (await this.highestSeq(year));
    for (let attempt = 0; attempt < MAX_KEY_ATTEMPTS; attempt++) {
      // After every number this process took meanwhile (its concurrent filings), so they do not all try the same one.
      const seq = Math.max(floor, this.lastSeq.get(year) ?? 0) + 1;
      this.lastSeq.set(year, seq);
      const _id = new Types.ObjectId();
      const key = formatIncidentKey(year, seq);
      const doc = { ...stored, _id, key, year, seq, filedBy: actor.email, version: 0, ...(closed ? { closedAt: now } : {}), createdAt: now, updatedAt: now } as IncidentDoc;
      const drafts = await this.deps.actions.draftForIncident(doc, actionInputs, actor);
      try {
        const [created, actions] = await this.deps.records.incidents.insertWith(doc, [{ repository: this.deps.records.actions, docs: drafts }]);
        return { doc: created, drafts, actions: actions as ActionDoc[] };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      // Taken: another process files too. Its numbers are in the read model, once caught up.
      floor = caughtUp ? seq : Math.max(seq, await this.highestSeq(year));
      caughtUp = true;
    }
    throw new Conflict('Could not assign an incident key under heavy concurrent filing; retry');
  }
}

/** Applies a PATCH: named fields replace, named keys inside a section replace, a field or a section's key sent as null is cleared. */
function merge<T extends Record<string, unknown>>(current: T, changes: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (value === null) delete out[key];
    else if (SECTIONS.has(key) && typeof value === 'object' && !Array.isArray(value)) {
      const section: Record<string, unknown> = { ...((out[key] as Record<string, unknown>) ?? {}) };
      for (const [k, v] of Object.entries(value)) {
        if (v === null) delete section[k];
        else if (v !== undefined) section[k] = v;
      }
      out[key] = section;
    } else out[key] = value;
  }
  return out as T;
}

/** The texts a search looks in: title, summary, impact and cause. */
function searchText(d: IncidentDoc): string {
  let text = searchTexts.get(d);
  if (text === undefined) {
    text = [d.title, d.summary, d.impact?.summary, d.cause?.trigger, ...(d.cause?.rootCauses ?? []), ...(d.cause?.contributingFactors ?? [])]
      .filter(Boolean)
      .join('\n')
      .toLowerCase();
    searchTexts.set(d, text);
  }
  return text;
}

/** Lower-cased search text per stored record (the read model's records are never changed in place). */
const searchTexts = new WeakMap<IncidentDoc, string>();
