import { DateTime } from 'luxon';
import { Types, type Model } from 'mongoose';
import type { ActionsService } from '../actions/service.js';
import type { AuditService } from '../audit/service.js';
import type { Actor } from '../http/actor.js';
import { isDuplicateKey } from '../lib/db.js';
import type { Revisions } from '../lib/revisions.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { escapeRegExp } from '../lib/text.js';
import { bounds, parseInstant } from '../lib/time.js';
import { BadRequest, Conflict, NotFound, staleVersion } from '../http/errors.js';
import { toFields, toStored, toView, type IncidentFields, type IncidentView } from './convert.js';
import { formatIncidentKey, incidentLookup } from './keys.js';
import type { IncidentDoc, IncidentKeyDoc, IncidentModel, KeyCounterDoc } from './model.js';
import { checkIncidentFields, INCIDENT_TRANSITIONS } from './rules.js';
import type { CreateIncidentInput, ListIncidentsQuery, PatchIncidentInput } from './schemas.js';

const MAX_KEY_ATTEMPTS = 200;
const SECTIONS = new Set(['detection', 'window', 'impact', 'cause', 'remediation', 'dataRepair', 'lessons', 'review']);

export class IncidentsService {
  constructor(
    private readonly deps: {
      incidents: IncidentModel;
      incidentKeys: Model<IncidentKeyDoc>;
      keyCounters: Model<KeyCounterDoc>;
      actions: ActionsService;
      revisions: Revisions;
      audit: AuditService;
      clock: Clock;
      config: Config;
    },
  ) {}

  async create(input: CreateIncidentInput, actor: Actor): Promise<IncidentView & { actions: unknown[] }> {
    const { actions: actionInputs = [], ...rest } = input;
    const fields = this.withDefaults(rest);
    this.check(fields);
    if (fields.status === 'closed' && actionInputs.length > 0) {
      throw new Conflict('An incident with open corrective actions cannot be filed as closed', {
        openActions: actionInputs.map((a) => a.title),
      });
    }
    const stored = toStored(fields);
    const now = this.deps.clock.now();
    const year = this.keyYear(stored, now);
    const doc = await this.insertWithKey(stored, year, now, fields.status === 'closed');
    try {
      await this.deps.actions.createForIncident(doc, actionInputs, actor);
      await this.deps.revisions.recordInitial('incident', doc, actor.email, now);
    } catch (err) {
      // No transactions on FerretDB: undo the incident so a failed import leaves nothing half-written.
      await this.deps.incidents.deleteOne({ _id: doc._id });
      await this.deps.incidentKeys.deleteOne({ _id: doc.key });
      await this.deps.actions.deleteForIncident(doc._id);
      throw err;
    }
    await this.deps.audit.record(actor, { entity: 'incident', key: doc.key, incidentKey: doc.key, event: 'filed', note: doc.title });
    return this.get(doc.key);
  }

  async get(keyOrId: string): Promise<IncidentView & { actions: unknown[] }> {
    const doc = await this.find(keyOrId);
    return { ...toView(doc), actions: await this.deps.actions.listForIncident(doc._id) };
  }

  async find(keyOrId: string): Promise<IncidentDoc> {
    const lookup = incidentLookup(keyOrId);
    let doc: IncidentDoc | null | undefined;
    if (lookup && 'key' in lookup) {
      const byKey = await this.deps.incidentKeys.findById(lookup.key).lean<IncidentKeyDoc>();
      // Incidents stored before keys had their own collection are found the slow way.
      doc = byKey ? await this.deps.incidents.findById(byKey.incidentId).lean<IncidentDoc>() : await this.deps.incidents.findOne(lookup).lean<IncidentDoc>();
    } else if (lookup) {
      doc = await this.deps.incidents.findById(lookup._id).lean<IncidentDoc>();
    }
    if (!doc) throw new NotFound(`Incident ${keyOrId}`);
    return this.deps.revisions.rollForward(this.deps.incidents, 'incident', doc);
  }

  async list(q: ListIncidentsQuery): Promise<{ items: IncidentView[]; total: number; page: number; pageSize: number }> {
    const filter: Record<string, unknown> = {};
    if (q.status?.length) filter.status = { $in: q.status };
    if (q.severity?.length) filter.severity = { $in: q.severity };
    if (q.service) filter.services = q.service;
    if (q.tag) filter.tags = q.tag;
    if (q.owner) filter.owner = q.owner.toLowerCase();
    const zone = this.deps.config.DEFAULT_TIMEZONE;
    const started: Record<string, Date> = {};
    if (q.startedFrom) started.$gte = new Date(bounds(parseInstant(q.startedFrom, zone), zone).earliest);
    if (q.startedTo) started.$lte = new Date(bounds(parseInstant(q.startedTo, zone), zone).latest);
    if (Object.keys(started).length) filter['window.startedAt.at'] = started;
    if (q.q) {
      const re = { $regex: escapeRegExp(q.q), $options: 'i' };
      filter.$or = ['title', 'summary', 'impact.summary', 'cause.trigger', 'cause.rootCauses', 'cause.contributingFactors'].map((f) => ({ [f]: re }));
    }
    const desc = q.sort.startsWith('-');
    const field = q.sort.replace(/^-/, '');
    const sortField = field === 'startedAt' ? 'window.startedAt.at' : field;
    const [docs, total] = await Promise.all([
      this.deps.incidents
        .find(filter)
        .sort({ [sortField]: desc ? -1 : 1, _id: desc ? -1 : 1 })
        .skip((q.page - 1) * q.pageSize)
        .limit(q.pageSize)
        .lean<IncidentDoc[]>(),
      this.deps.incidents.countDocuments(filter),
    ]);
    return { items: docs.map(toView), total, page: q.page, pageSize: q.pageSize };
  }

  /**
   * Incidents noticed in [from, to): by their detection, or by their start when detection is not
   * recorded. A weekly report lists an incident in the week it came to light, as the seed reports do
   * (the decrypt failure began 2/9 but was found 2/14, and was reported that week). Earliest first.
   */
  async noticedBetween(from: Date, to: Date): Promise<IncidentDoc[]> {
    const range = { $gte: from, $lt: to };
    const docs = await this.deps.incidents
      .find({ $or: [{ 'window.detectedAt.at': range }, { 'window.detectedAt': { $exists: false }, 'window.startedAt.at': range }] })
      .lean<IncidentDoc[]>();
    const noticed = (d: IncidentDoc) => (d.window?.detectedAt ?? d.window?.startedAt)!.at.getTime();
    return docs.sort((a, b) => noticed(a) - noticed(b) || a.key.localeCompare(b.key));
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
      version: doc.version + 1,
      createdAt: doc.createdAt,
      updatedAt: now,
    };
    if (!(await this.deps.revisions.replace(this.deps.incidents, 'incident', doc, replacement, actor.email, now))) {
      const current = await this.find(doc.key);
      throw staleVersion(`Incident ${doc.key}`, version, current.version);
    }
    const event = fields.status !== doc.status ? `status ${doc.status} → ${fields.status}` : 'updated';
    await this.deps.audit.recordChange(actor, { entity: 'incident', key: doc.key, incidentKey: doc.key, event }, toFields(doc), fields);
    return this.get(doc.key);
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
        throw new Conflict(`Incident ${doc.key} has ${open.length} open corrective action(s); close, verify or decline them first`, {
          openActions: open,
        });
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
    return DateTime.fromJSDate(at, { zone: stored.timezone }).year;
  }

  /**
   * Takes the next number of the year by inserting its key (unique as an _id): of two creates that
   * pick the same number, the second is refused and tries the next one, so no read-modify-write race
   * remains. The per-year counter only says where to start.
   */
  private async insertWithKey(stored: ReturnType<typeof toStored>, year: number, now: Date, closed: boolean): Promise<IncidentDoc> {
    const _id = new Types.ObjectId();
    const counterId = `incidents:${year}`;
    const hint = await this.deps.keyCounters.findById(counterId).lean<KeyCounterDoc>();
    let seq = (hint?.seq ?? (await this.deps.incidents.findOne({ year }).sort({ seq: -1 }).select('seq').lean<{ seq: number }>())?.seq ?? 0) + 1;
    for (let attempt = 0; attempt < MAX_KEY_ATTEMPTS; attempt++, seq++) {
      const key = formatIncidentKey(year, seq);
      try {
        await this.deps.incidentKeys.create({ _id: key, incidentId: _id });
      } catch (err) {
        if (isDuplicateKey(err)) continue;
        throw err;
      }
      let created;
      try {
        created = await this.deps.incidents.create({
          ...stored,
          _id,
          key,
          year,
          seq,
          version: 0,
          ...(closed ? { closedAt: now } : {}),
          createdAt: now,
          updatedAt: now,
        });
      } catch (err) {
        await this.deps.incidentKeys.deleteOne({ _id: key });
        // A key taken by an incident stored before keys had their own collection: try the next one.
        if (isDuplicateKey(err)) continue;
        throw err;
      }
      await this.raiseCounter(counterId, seq);
      return created.toObject() as IncidentDoc;
    }
    throw new Conflict('Could not assign an incident key under heavy concurrent filing; retry');
  }

  /** Moves the year's counter up to `seq`. Two first filings of a year may race to create it; either value is a fine hint. */
  private async raiseCounter(counterId: string, seq: number): Promise<void> {
    try {
      await this.deps.keyCounters.updateOne({ _id: counterId }, { $max: { seq } }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
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
