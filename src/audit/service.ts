import type { Actor } from '../http/actor.js';
import type { Clock } from '../lib/clock.js';
import { coalesced } from '../lib/coalesce.js';
import { requestSince } from '../lib/request-scope.js';
import { pageOf } from '../lib/listing.js';
import { setBounded } from '../lib/maps.js';
import { Sequence } from '../lib/sequence.js';
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

/** What the list filters and orders on, for every entry: small enough to hold them all. */
interface Filed {
  /** The entry's _id: its number, or the ObjectId of an entry from before entries were numbered. */
  _id: unknown;
  incidentKey?: string;
  key: string;
  by: string;
  entity: string;
  at: number;
}

/** Fields that change on every write and say nothing to a reader of the trail. */
const NOISE = ['version', 'updatedAt', 'history', 'passwordHash'];
/** How many entries read for lists are kept (a few pages of the incidents being looked at). */
const ENTRIES_KEPT = 2000;

const byTime = (a: Filed, b: Filed) => a.at - b.at || String(a._id).localeCompare(String(b._id));

/**
 * The audit log: entries numbered in the order written (a Sequence), so no request reads the whole
 * log. The list filters an in-memory index of every entry's incident, key, author, entity and time,
 * read whole on a process's first list and brought up to date from the log by `_id` afterwards (one
 * read when nothing was added), then reads the page's entries by `_id`.
 */
export class AuditService {
  private readonly log: Sequence<AuditDoc>;
  private readonly kept = new Map<string, AuditDoc>();
  private index: { entries: Filed[]; upTo: number } | undefined;
  /**
   * Catching up one at a time (two at once would add the same entries twice), shared by the lists that
   * arrive meanwhile; a list reuses one that started after its request arrived (lists are read-only requests).
   */
  private readonly entries = coalesced(() => this.catchUp());

  constructor(private readonly deps: { audit: AuditModel; clock: Clock }) {
    this.log = new Sequence<AuditDoc>({ model: deps.audit, floor: async () => 0, name: 'audit log' });
  }

  async record(actor: Pick<Actor, 'email'>, entry: AuditEntry): Promise<void> {
    const at = this.deps.clock.now();
    const stored = await this.log.append((_id) => ({ _id, ...entry, changes: entry.changes ?? [], by: actor.email, at }));
    // Kept as written (entries never change): a list showing it next reads nothing for it.
    setBounded(this.kept, stored._id, stored, ENTRIES_KEPT);
  }

  /** Records the field-by-field difference between two states of a record, if there is one. */
  async recordChange(actor: Pick<Actor, 'email'>, entry: Omit<AuditEntry, 'changes'>, before: object | undefined, after: object): Promise<void> {
    const changes = diffFields(before as Record<string, unknown>, after as Record<string, unknown>, NOISE);
    if (changes.length || !before) await this.record(actor, { ...entry, changes });
  }

  async list(q: { incident?: string; by?: string; entity?: string; from?: Date; to?: Date; page: number; pageSize: number }) {
    const incident = q.incident?.toUpperCase();
    const by = q.by?.toLowerCase();
    const [from, to] = [q.from?.getTime(), q.to?.getTime()];
    const matches = (await this.entries(requestSince())).filter(
      (e) =>
        (!incident || e.incidentKey === incident || e.key.startsWith(incident)) &&
        (!by || e.by === by) &&
        (!q.entity || e.entity === q.entity) &&
        (from === undefined || e.at >= from) &&
        (to === undefined || e.at <= to),
    );
    const docs = await Promise.all(pageOf(matches, q.page, q.pageSize).map((e) => this.entry(e._id)));
    return {
      items: docs.filter((d) => d !== null).map(({ _id, ...e }) => ({ id: String(_id), ...e, at: e.at.toISOString() })),
      total: matches.length,
      page: q.page,
      pageSize: q.pageSize,
    };
  }

  /** An entry as stored; entries never change, so the last ENTRIES_KEPT read are kept. */
  private async entry(id: Filed['_id']): Promise<AuditDoc | null> {
    const kept = this.kept.get(String(id));
    if (kept) return kept;
    // Through the driver: mongoose would cast an older entry's ObjectId to a string and miss it.
    const doc = await this.deps.audit.collection.findOne<AuditDoc>({ _id: id } as never);
    if (doc) setBounded(this.kept, String(id), doc, ENTRIES_KEPT);
    return doc;
  }

  private async catchUp(): Promise<Filed[]> {
    this.index ??= await this.loadIndex();
    const index = this.index;
    const added = await this.log.after(index.upTo);
    if (added.length) {
      // Read whole to catch up: kept, so a page showing them reads them no more.
      for (const doc of added) setBounded(this.kept, doc._id, doc, ENTRIES_KEPT);
      const last = index.entries.at(-1);
      const filed = added.map(toFiled);
      index.entries.push(...filed);
      index.upTo = Number(added.at(-1)!._id);
      // Writers in several processes may land a moment out of time order.
      if (filed.some((e, i) => e.at < (i ? filed[i - 1]!.at : (last?.at ?? -Infinity)))) index.entries.sort(byTime);
    }
    return index.entries;
  }

  /** Every entry's filter fields, read once. Numbered entries are contiguous, so catching up starts after the first gap (a scan that raced a writer). */
  private async loadIndex(): Promise<{ entries: Filed[]; upTo: number }> {
    const docs = await this.deps.audit.collection.find({}, { projection: { incidentKey: 1, key: 1, by: 1, entity: 1, at: 1 } }).toArray();
    const numbered = new Set(docs.filter((d) => typeof d._id === 'string').map((d) => Number(d._id)));
    let upTo = 0;
    while (numbered.has(upTo + 1)) upTo++;
    const entries = docs.filter((d) => typeof d._id !== 'string' || Number(d._id) <= upTo).map((d) => toFiled(d as unknown as AuditDoc));
    return { entries: entries.sort(byTime), upTo };
  }
}

function toFiled(d: AuditDoc): Filed {
  return { _id: d._id, incidentKey: d.incidentKey, key: d.key, by: d.by, entity: d.entity, at: d.at.getTime() };
}
