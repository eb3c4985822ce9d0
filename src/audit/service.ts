import type { Actor } from '../http/actor.js';
import type { Clock } from '../lib/clock.js';
import { coalesced } from '../lib/coalesce.js';
import { requestSince } from '../lib/request-scope.js';
import { firstAtLeast, pageOf } from '../lib/listing.js';
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

/** Entries in time order, with the same entries grouped by incident and by author (each group in time order too). */
interface Index {
  entries: Filed[];
  byIncident: Map<string, Filed[]>;
  byAuthor: Map<string, Filed[]>;
  upTo: number;
}

/**
 * The incident an entry belongs to: the one it names, or for an entry written before entries named it,
 * the incident's own key (an incident or its review) or the one an action's key starts with (INC-1-A2).
 */
function incidentOf(e: Pick<Filed, 'incidentKey' | 'key' | 'entity'>): string | undefined {
  if (e.incidentKey) return e.incidentKey;
  if (e.entity === 'incident' || e.entity === 'review') return e.key;
  if (e.entity === 'action') return e.key.replace(/-A\d+$/, '');
  return undefined;
}

/** Puts an entry in its place in a time-ordered list: at the end, unless writers in several processes landed out of order. */
function insertByTime(list: Filed[], e: Filed): void {
  const last = list.at(-1);
  if (!last || byTime(last, e) <= 0) list.push(e);
  else list.splice(firstAtLeast(list.length, (i) => (byTime(list[i]!, e) < 0 ? 0 : 1), 1), 0, e);
}

function addTo(index: Index, e: Filed): void {
  insertByTime(index.entries, e);
  const groups: [Map<string, Filed[]>, string | undefined][] = [
    [index.byIncident, incidentOf(e)],
    [index.byAuthor, e.by],
  ];
  for (const [map, name] of groups) {
    if (name === undefined) continue;
    let list = map.get(name);
    if (!list) map.set(name, (list = []));
    insertByTime(list, e);
  }
}

/**
 * The audit log: entries numbered in the order written (a Sequence), so no request reads the whole
 * log. The list reads an in-memory index of every entry's incident, key, author, entity and time, read
 * whole on a process's first list and brought up to date from the log by `_id` afterwards (one read when
 * nothing was added), then reads the page's entries by `_id`. The index groups entries by incident and
 * by author, and keeps each group in time order, so a list of one incident's story costs that story
 * (and a time range two binary searches), not a pass over the whole log.
 */
export class AuditService {
  private readonly log: Sequence<AuditDoc>;
  private readonly kept = new Map<string, AuditDoc>();
  private index: Index | undefined;
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
    const index = await this.entries(requestSince());
    const candidates = incident ? (index.byIncident.get(incident) ?? []) : by ? (index.byAuthor.get(by) ?? []) : index.entries;
    // In time order: the range is a slice, [first at or after `from`, first after `to`).
    const start = q.from ? firstAtLeast(candidates.length, (i) => candidates[i]!.at, q.from.getTime()) : 0;
    const end = q.to ? firstAtLeast(candidates.length, (i) => candidates[i]!.at, q.to.getTime() + 1) : candidates.length;
    const inRange = candidates.slice(start, end);
    const matches = by || q.entity ? inRange.filter((e) => (!by || e.by === by) && (!q.entity || e.entity === q.entity)) : inRange;
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

  private async catchUp(): Promise<Index> {
    this.index ??= await this.loadIndex();
    const index = this.index;
    const added = await this.log.after(index.upTo);
    if (added.length) {
      // Read whole to catch up: kept, so a page showing them reads them no more.
      for (const doc of added) setBounded(this.kept, doc._id, doc, ENTRIES_KEPT);
      for (const doc of added) addTo(index, toFiled(doc));
      index.upTo = Number(added.at(-1)!._id);
    }
    return index;
  }

  /** Every entry's filter fields, read once. Numbered entries are contiguous, so catching up starts after the first gap (a scan that raced a writer). */
  private async loadIndex(): Promise<Index> {
    const docs = await this.deps.audit.collection.find({}, { projection: { incidentKey: 1, key: 1, by: 1, entity: 1, at: 1 } }).toArray();
    const numbered = new Set(docs.filter((d) => typeof d._id === 'string').map((d) => Number(d._id)));
    let upTo = 0;
    while (numbered.has(upTo + 1)) upTo++;
    const entries = docs.filter((d) => typeof d._id !== 'string' || Number(d._id) <= upTo).map((d) => toFiled(d as unknown as AuditDoc));
    const index: Index = { entries: [], byIncident: new Map(), byAuthor: new Map(), upTo };
    // Sorted once, so every entry goes on the end of its lists.
    for (const e of entries.sort(byTime)) addTo(index, e);
    return index;
  }
}

function toFiled(d: AuditDoc): Filed {
  return { _id: d._id, incidentKey: d.incidentKey, key: d.key, by: d.by, entity: d.entity, at: d.at.getTime() };
}
