import type { Types } from 'mongoose';
import type { AuditService } from '../audit/service.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { isDuplicateKey } from '../lib/db.js';
import { allOf, comparator, pageOf, type SortKey } from '../lib/listing.js';
import { getOr } from '../lib/maps.js';
import type { Mirror } from '../lib/mirror.js';
import type { Repository } from '../lib/repository.js';
import { escapeRegExp } from '../lib/text.js';
import { DAY_MS, localDate, quarterHourOf } from '../lib/time.js';
import { isOverdue, slaDaysOf, slaDueDate } from './due.js';
import { Tally } from './tally.js';
import { formatActionKey } from '../incidents/keys.js';
import { transitionChanges, type Actor } from './transitions.js';
import { Conflict, NotFound, Unprocessable, staleVersion } from '../lib/errors.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { ActionDoc } from './model.js';
import {
  isClosed,
  type ActionFilters,
  type ActionInput,
  type ActionPriority,
  type ActionStatus,
  type ListActionsQuery,
  type PatchActionInput,
  type TransitionInput,
} from './schemas.js';

const ACTION_KEY_RE = /^INC-\d{4}-\d{4,}-A\d+$/i;
const MAX_KEY_ATTEMPTS = 100;
const OLDEST_OPEN_SHOWN = 10;

/** A new action before it is stored (its _id is its key). */
export type DraftAction = Awaited<ReturnType<ActionsService['draftForIncident']>>[number];

export class ActionsService {
  constructor(
    private readonly deps: {
      /** Lists, stats and the incidents' actions are read from here. */
      mirror: Mirror;
      /** The only way actions are written (src/lib/repository.ts). */
      records: { actions: Repository<ActionDoc> };
      audit: AuditService;
      /** A person's time zone, when they are known here: due dates are read in the owner's zone. */
      ownerZone: (email: string) => Promise<string | undefined>;
      /** Tells a person they were given an action (an email within minutes; the next digest when it is already overdue). */
      onAssigned?: (actionKey: string, by: Actor) => Promise<void>;
      clock: Clock;
      config: Config;
    },
  ) {}

  /**
   * The actions filed with an incident, numbered A1, A2, … in the order given, ready to store with
   * the incident (IncidentsService.create).
   */
  async draftForIncident(incident: IncidentDoc, inputs: ActionInput[], actor: Actor) {
    const now = this.deps.clock.now();
    // Actions in the postmortem itself count their SLA from the resolution, as the team committed to them then;
    // filed later than that SLA (a 2023 incident filed today), from the filing day, or they would be overdue at birth.
    const resolved = incident.window?.resolvedAt?.at ?? now;
    const zones = await Promise.all(inputs.map((input) => this.zoneFor(input.owner, incident)));
    const slaFrom = (input: ActionInput, zone: string) => (slaDueDate(input.priority, resolved, zone, this.sla) < localDate(zone, now) ? now : resolved);
    return inputs.map((input, i) => ({ ...this.newAction(incident, input, i + 1, slaFrom(input, zones[i]!), now, actor, zones[i]!), postmortemAt: resolved }));
  }

  /** Tells the owners of a new incident's actions, once the filing has succeeded. */
  async assignedWithIncident(drafts: DraftAction[], actor: Actor): Promise<void> {
    for (const doc of drafts) if (doc.owner) await this.deps.onAssigned?.(doc.key, actor);
  }

  /**
   * Adds an action to an existing incident with the next A-number. Two adds may pick the same number;
   * the unique index on the key refuses the second, which retries with the next one.
   */
  async create(incidentKey: string, input: ActionInput, actor: Actor) {
    const incident = await this.findIncident(incidentKey);
    if (incident.status === 'closed') {
      throw new Conflict(`Incident ${incident.key} is closed; reopen it before adding actions`, { rule: 'incident-closed' });
    }
    const now = this.deps.clock.now();
    const zone = await this.zoneFor(input.owner, incident);
    let seq = Math.max(0, ...this.ofIncident(incident._id).map((a) => a.seq)) + 1;
    for (let attempt = 0; attempt < MAX_KEY_ATTEMPTS; attempt++, seq++) {
      try {
        // Added after the postmortem: the SLA counts from now, or it could be overdue on arrival.
        const action = this.newAction(incident, input, seq, now, now, actor, zone);
        const created = await this.deps.records.actions.insert(action);
        await this.deps.audit.record(actor, { entity: 'action', key: created.key, incidentKey: incident.key, event: 'action added', note: created.title });
        if (created.owner) await this.deps.onAssigned?.(created.key, actor);
        return this.toView(created);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new Conflict('Could not assign an action key under heavy concurrent filing; retry');
  }

  async listForIncident(incidentId: Types.ObjectId) {
    await this.deps.mirror.sync();
    return this.ofIncident(incidentId).map((d) => this.toView(d));
  }

  /** Actions that keep an incident from closing. */
  async openForIncident(incidentId: Types.ObjectId): Promise<{ key: string; title: string; status: string; owner: string | null }[]> {
    await this.deps.mirror.sync();
    return this.ofIncident(incidentId)
      .filter((d) => !isClosed(d.status))
      .map((d) => ({ key: d.key, title: d.title, status: d.status, owner: d.owner ?? null }));
  }

  /** The action as of every write acknowledged so far, from the read model. */
  async find(key: string): Promise<ActionDoc> {
    await this.deps.mirror.sync();
    const doc = ACTION_KEY_RE.test(key) ? this.deps.mirror.get<ActionDoc>('action', key.toUpperCase()) : undefined;
    if (!doc) throw new NotFound(`Action ${key}`);
    return doc;
  }

  async get(key: string) {
    return this.toView(await this.find(key));
  }

  async history(key: string) {
    const doc = await this.find(key);
    return doc.history.map((h) => ({ at: h.at.toISOString(), by: h.by, field: h.field, from: h.from ?? null, to: h.to ?? null, note: h.note ?? undefined }));
  }

  async list(q: ListActionsQuery) {
    const dir = q.sort.startsWith('-') ? -1 : 1;
    const field = q.sort.replace(/^-/, '');
    const keys: SortKey<ActionDoc>[] =
      field === 'key'
        ? [[(d) => d.incidentKey, dir], [(d) => d.seq, dir]]
        : [[(d) => (d as Record<string, unknown>)[field], dir], [(d) => d._id, dir]];
    const docs = await this.select(q, { order: q.sort, compare: comparator(keys) });
    const items = pageOf(docs, q.page, q.pageSize);
    return { items: items.map((d) => this.toView(d)), total: docs.length, page: q.page, pageSize: q.pageSize };
  }

  async patch(key: string, patch: PatchActionInput, actor: Actor) {
    const doc = await this.find(key);
    if (patch.version !== doc.version) throw staleVersion(`Action ${doc.key}`, patch.version, doc.version);
    const { version: _version, status: _status, ...fields } = patch;
    const changes: Record<string, unknown> = {};
    // null clears a field: it becomes undefined, which apply() removes from the record.
    for (const [field, value] of Object.entries(fields)) if (value !== undefined) changes[field] = value ?? undefined;
    if (patch.recurredIn) await this.checkRecurredIn(patch.recurredIn, doc);
    const priority = (patch.priority ?? doc.priority) as ActionPriority;
    const priorityMoved = patch.priority !== undefined && patch.priority !== doc.priority;
    if (patch.dueDate === null || (patch.dueDate === undefined && doc.dueDateSource === 'sla' && priorityMoved)) {
      // Actions filed before slaFrom was recorded count from their creation.
      changes.dueDate = slaDueDate(priority, doc.slaFrom ?? doc.createdAt, doc.timezone, this.sla);
      changes.dueDateSource = 'sla';
    } else if (patch.dueDate) {
      changes.dueDateSource = 'given';
    }
    return this.apply(doc, changes, actor);
  }

  /** Moves an action through its lifecycle (src/actions/transitions.ts); each refusal names the rule that failed. */
  async transition(key: string, input: TransitionInput, actor: Actor) {
    const doc = await this.find(key);
    if (input.version !== undefined && input.version !== doc.version) throw staleVersion(`Action ${doc.key}`, input.version, doc.version);
    const changes = await transitionChanges(doc, input, actor, this.deps.clock.now(), {
      incidentOf: (d) => this.incidentOf(d),
      checkRecurredIn: (incidentKey, d) => this.checkRecurredIn(incidentKey, d),
    });
    return this.apply(doc, changes, actor, input.reason ?? input.note);
  }

  /** Counts a team lead asks for, over the actions the filters select. */
  async stats(q: ActionFilters) {
    await this.deps.mirror.sync();
    const now = this.deps.clock.now();
    const { keep, alsoOn } = this.matcher(q, now);
    const kept = this.deps.mirror.derived(
      `action-stats:${quarterHourOf(now)}:${JSON.stringify(q)}`,
      ['action', ...alsoOn],
      () => Tally.of(this.deps.mirror.all<ActionDoc>('action').filter((d) => keep?.(d) ?? true), (d) => isOverdue(d, now)),
      (tally, changes) => tally.patched(changes as { before?: ActionDoc; after?: ActionDoc }[], keep),
    );
    // The open ones oldest first, kept in that order as actions change.
    const open = this.deps.mirror.selection<ActionDoc>('action', `open-by-age:${quarterHourOf(now)}:${JSON.stringify(q)}`, byAge, (d) => !isClosed(d.status) && (keep?.(d) ?? true), alsoOn);
    return kept.view(() =>
      open.slice(0, OLDEST_OPEN_SHOWN).map((d) => ({
        key: d.key,
        title: d.title,
        incidentKey: d.incidentKey,
        status: d.status,
        owner: d.owner ?? null,
        dueDate: d.dueDate ?? undefined,
        overdue: isOverdue(d, now),
        ageDays: Math.floor((now.getTime() - d.createdAt.getTime()) / DAY_MS),
      })),
    );
  }

  private get sla() {
    return slaDaysOf(this.deps.config);
  }

  toView(doc: ActionDoc) {
    return {
      id: String(doc._id),
      key: doc.key,
      incidentKey: doc.incidentKey,
      title: doc.title,
      description: doc.description ?? undefined,
      type: doc.type,
      priority: doc.priority,
      status: doc.status,
      statusReason: doc.statusReason ?? undefined,
      owner: doc.owner ?? null,
      unowned: !doc.owner,
      team: doc.team ?? undefined,
      dueDate: doc.dueDate ?? undefined,
      dueDateSource: doc.dueDateSource ?? undefined,
      overdue: isOverdue(doc, this.deps.clock.now()),
      timezone: doc.timezone,
      ticket: doc.ticket?.key ? doc.ticket : undefined,
      completionNote: doc.completionNote ?? undefined,
      evidence: doc.evidence?.length ? doc.evidence : undefined,
      doneAt: doc.doneAt?.toISOString(),
      verifiedBy: doc.verifiedBy ?? undefined,
      verifiedAt: doc.verifiedAt?.toISOString(),
      recheckOn: doc.recheckOn ?? undefined,
      snoozedUntil: doc.snoozedUntil ?? undefined,
      recurring: !!doc.recurredIn,
      recurredIn: doc.recurredIn ?? undefined,
      version: doc.version,
      createdAt: doc.createdAt.toISOString(),
      updatedAt: doc.updatedAt.toISOString(),
    };
  }

  /**
   * Writes `changes` (undefined removes a field) as the next version, with one history entry per
   * field that really changed. The version is claimed through a revision, so of two concurrent
   * writers exactly one wins and the other gets 409.
   */
  private async apply(doc: ActionDoc, changes: Record<string, unknown>, actor: Actor, note?: string) {
    const now = this.deps.clock.now();
    if ('owner' in changes && changes.owner !== doc.owner) {
      changes.timezone = await this.zoneFor(changes.owner as string | undefined, await this.incidentOf(doc));
    }
    const { _id, ...next } = doc as ActionDoc & Record<string, unknown>;
    const entries = [];
    for (const [field, value] of Object.entries(changes)) {
      const before = next[field];
      if (same(before, value)) continue;
      if (value === undefined) delete next[field];
      else next[field] = value;
      entries.push({ at: now, by: actor.email, field, from: before ?? null, to: value ?? null, ...(field === 'status' && note ? { note } : {}) });
    }
    if (!entries.length) return this.toView(doc);
    const replacement = { ...next, history: [...doc.history, ...entries], version: doc.version + 1, updatedAt: now } as Omit<ActionDoc, '_id'>;
    const stored = await this.deps.records.actions.replace(doc, replacement, actor.email, now);
    if (!stored) {
      const current = await this.find(doc.key);
      throw staleVersion(`Action ${doc.key}`, doc.version, current.version);
    }
    const status = entries.find((e) => e.field === 'status');
    await this.deps.audit.record(actor, {
      entity: 'action',
      key: doc.key,
      incidentKey: doc.incidentKey,
      event: status ? `status ${String(status.from)} → ${String(status.to)}` : 'updated',
      changes: entries.map(({ field, from, to }) => ({ field, from, to })),
      ...(note ? { note } : {}),
    });
    if (entries.some((e) => e.field === 'owner') && replacement.owner) await this.deps.onAssigned?.(doc.key, actor);
    return this.toView(stored);
  }

  /** The actions the list's filters select in the list's order, from the read model: patched as actions change. */
  private async select(q: ActionFilters & Partial<Pick<ListActionsQuery, 'overdue' | 'dueBefore' | 'dueAfter' | 'q'>>, sort: { order: string; compare: (a: ActionDoc, b: ActionDoc) => number }): Promise<ActionDoc[]> {
    await this.deps.mirror.sync();
    const now = this.deps.clock.now();
    const { page: _page, pageSize: _pageSize, ...filters } = q as typeof q & { page?: number; pageSize?: number };
    const { keep, alsoOn } = this.matcher(filters, now);
    // The same question asked again before actions change (or the quarter hour turns, for "overdue") costs a lookup.
    return this.deps.mirror.selection('action', `${sort.order}:${quarterHourOf(now)}:${JSON.stringify(filters)}`, sort.compare, keep, alsoOn);
  }

  /**
   * The test an action must pass to be selected by the filters (the same for a whole quarter hour: no
   * place's date changes inside one), and the other entities it reads: incidents, for severity and service.
   */
  private matcher(q: ActionFilters & Partial<Pick<ListActionsQuery, 'overdue' | 'dueBefore' | 'dueAfter' | 'q'>>, now: Date): { keep?: (d: ActionDoc) => boolean; alsoOn: string[] } {
    const owner = q.owner?.toLowerCase();
    const incident = q.incident?.toUpperCase();
    const severities = q.severity?.split(',').map((s) => s.trim());
    // Incident severity and service narrow to those incidents' ids (no join on FerretDB).
    const incidentIds =
      severities || q.service
        ? new Set(
            this.deps.mirror
              .all<IncidentDoc>('incident')
              .filter((i) => (!severities || severities.includes(i.severity)) && (!q.service || i.services?.includes(q.service)))
              .map((i) => String(i._id)),
          )
        : undefined;
    const re = q.q ? new RegExp(escapeRegExp(q.q), 'i') : undefined;
    const keep = allOf<ActionDoc>([
      !!owner && ((d: ActionDoc) => d.owner === owner),
      !!q.team && ((d: ActionDoc) => d.team === q.team),
      !!q.status?.length && ((d: ActionDoc) => q.status!.includes(d.status as ActionStatus)),
      !!q.type?.length && ((d: ActionDoc) => q.type!.includes(d.type)),
      !!q.priority?.length && ((d: ActionDoc) => q.priority!.includes(d.priority)),
      !!incident && ((d: ActionDoc) => d.incidentKey === incident),
      q.unowned !== undefined && ((d: ActionDoc) => q.unowned === !d.owner),
      !!incidentIds && ((d: ActionDoc) => incidentIds.has(String(d.incidentId))),
      !!q.dueAfter && ((d: ActionDoc) => !!d.dueDate && d.dueDate >= q.dueAfter!),
      !!q.dueBefore && ((d: ActionDoc) => !!d.dueDate && d.dueDate <= q.dueBefore!),
      !!re && ((d: ActionDoc) => re.test(d.title) || (!!d.description && re.test(d.description))),
      q.overdue !== undefined && ((d: ActionDoc) => q.overdue === isOverdue(d, now)),
    ]);
    return { keep, alsoOn: incidentIds ? ['incident'] : [] };
  }

  /** An incident's actions in number order, from the read model (synced by the caller). */
  private ofIncident(incidentId: Types.ObjectId): ActionDoc[] {
    return this.deps.mirror.find<ActionDoc>('action', 'incident', String(incidentId)).sort((a, b) => a.seq - b.seq);
  }

  private async checkRecurredIn(incidentKey: string, doc: ActionDoc): Promise<void> {
    if (incidentKey === doc.incidentKey) {
      throw new Unprocessable('An action cannot recur in its own incident', [{ field: 'recurredIn', message: 'name the later incident where the cause came back' }]);
    }
    await this.deps.mirror.sync();
    if (!this.deps.mirror.find('incident', 'key', incidentKey).length) {
      throw new Unprocessable(`Incident ${incidentKey} does not exist`, [{ field: 'recurredIn', message: `no incident ${incidentKey}` }]);
    }
  }

  private async findIncident(key: string): Promise<IncidentDoc> {
    await this.deps.mirror.sync();
    const doc = this.deps.mirror.find<IncidentDoc>('incident', 'key', key.toUpperCase())[0];
    if (!doc) throw new NotFound(`Incident ${key}`);
    return doc;
  }

  private async incidentOf(doc: ActionDoc): Promise<IncidentDoc> {
    return this.findIncident(doc.incidentKey);
  }

  /** The zone an owner's due date is read in: theirs when they are a person here, else the incident's. */
  private async zoneFor(owner: string | undefined, incident: IncidentDoc): Promise<string> {
    return (owner && (await this.deps.ownerZone(owner))) || incident.timezone;
  }

  private newAction(incident: IncidentDoc, input: ActionInput, seq: number, slaFrom: Date, now: Date, actor: Actor, zone: string) {
    const key = formatActionKey(incident.key, seq);
    return {
      ...input,
      _id: key,
      key,
      seq,
      incidentId: incident._id,
      incidentKey: incident.key,
      status: 'open' as const,
      timezone: zone,
      dueDate: input.dueDate ?? slaDueDate(input.priority, slaFrom, zone, this.sla),
      dueDateSource: input.dueDate ? ('given' as const) : ('sla' as const),
      slaFrom,
      history: [{ at: now, by: actor.email, field: 'created', to: input.title }],
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Open, overdue and unowned action counts of each of these incidents (the incident list's columns); incidents without actions are absent. */
  async openCountsByIncident(incidentKeys: string[]): Promise<Map<string, { open: number; overdue: number; unowned: number }>> {
    const now = this.deps.clock.now();
    await this.deps.mirror.sync();
    const docs = incidentKeys
      .flatMap((key) => this.deps.mirror.find<IncidentDoc>('incident', 'key', key))
      .flatMap((i) => this.ofIncident(i._id))
      .filter((d) => !isClosed(d.status));
    const counts = new Map<string, { open: number; overdue: number; unowned: number }>();
    for (const d of docs) {
      const c = getOr(counts, d.incidentKey, () => ({ open: 0, overdue: 0, unowned: 0 }));
      c.open++;
      if (isOverdue(d, now)) c.overdue++;
      if (!d.owner) c.unowned++;
    }
    return counts;
  }
}

/** The age order of actions (the oldest open ones in stats). */
const byAge = (a: ActionDoc, b: ActionDoc) => a.createdAt.getTime() - b.createdAt.getTime() || a.incidentKey.localeCompare(b.incidentKey) || a.seq - b.seq;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
