import type { Actor } from '../http/actor.js';
import type { Clock } from '../lib/clock.js';
import { escapeRegExp } from '../lib/text.js';
import { diffFields, type FieldChange } from './diff.js';
import type { AuditDoc, AuditModel } from './model.js';

export interface AuditEntry {
  entity: AuditDoc['entity'];
  key: string;
  incidentKey?: string;
  event: string;
  changes?: FieldChange[];
  note?: string;
}

/** Fields that change on every write and say nothing to a reader of the trail. */
const NOISE = ['version', 'updatedAt', 'history', 'passwordHash'];

export class AuditService {
  constructor(private readonly deps: { audit: AuditModel; clock: Clock }) {}

  async record(actor: Pick<Actor, 'email'>, entry: AuditEntry): Promise<void> {
    await this.deps.audit.create({ ...entry, changes: entry.changes ?? [], by: actor.email, at: this.deps.clock.now() });
  }

  /** Records the field-by-field difference between two states of a record, if there is one. */
  async recordChange(actor: Pick<Actor, 'email'>, entry: Omit<AuditEntry, 'changes'>, before: object | undefined, after: object): Promise<void> {
    const changes = diffFields(before as Record<string, unknown>, after as Record<string, unknown>, NOISE);
    if (changes.length || !before) await this.record(actor, { ...entry, changes });
  }

  async list(q: { incident?: string; by?: string; entity?: string; from?: Date; to?: Date; page: number; pageSize: number }) {
    const filter: Record<string, unknown> = {};
    if (q.incident) filter.$or = [{ incidentKey: q.incident.toUpperCase() }, { key: { $regex: `^${escapeRegExp(q.incident.toUpperCase())}` } }];
    if (q.by) filter.by = q.by.toLowerCase();
    if (q.entity) filter.entity = q.entity;
    if (q.from || q.to) filter.at = { ...(q.from ? { $gte: q.from } : {}), ...(q.to ? { $lte: q.to } : {}) };
    const [items, total] = await Promise.all([
      this.deps.audit.find(filter).sort({ at: 1, _id: 1 }).skip((q.page - 1) * q.pageSize).limit(q.pageSize).lean<AuditDoc[]>(),
      this.deps.audit.countDocuments(filter),
    ]);
    return {
      items: items.map(({ _id, ...e }) => ({ id: String(_id), ...e, at: e.at.toISOString() })),
      total,
      page: q.page,
      pageSize: q.pageSize,
    };
  }
}
