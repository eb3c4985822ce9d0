import type { Model } from 'mongoose';
import type { Clock } from './clock.js';
import { coalesced } from './coalesce.js';
import { REMOVED, type Feed, type FeedChange, type FeedEntry } from './feed.js';
import { KeptValues } from './kept-values.js';
import { currentScope, freshInRequest, markFresh, requestSince } from './request-scope.js';
import type { Revisions } from './revisions.js';

/**
 * The read model: each process keeps the records that lists, search, overdue, stats and reports read
 * (incidents, actions, people, reviews, comments) in memory, and before answering it reads the change
 * feed (src/lib/feed.ts) from where it left off and reloads each record named there by `_id`. A request
 * with nothing new costs one `_id` read; FerretDB would otherwise decode the whole collection for every
 * filter, count or sort.
 *
 * Every writer (the server, the worker, the CLI) writes through a repository (src/lib/repository.ts),
 * which announces each write on the feed with the version it leaves the record at: new records before they are inserted, edits as they claim their revision, before
 * writing (src/lib/revisions.ts). A reader that loads a record before the write lands keeps it
 * pending and looks again on each read until the record reaches that version; a claimed edit whose
 * writer stopped is rolled forward by the reader. So no process misses another's change, whichever
 * moment a writer stops at. The `repair-read-model` job announces anything changed behind the
 * services' back (by hand in the database).
 */
export interface MirrorSource {
  entity: string;
  /** Versioned records (a `version` field, edits claimed through Revisions). */
  model: Model<any>;
  /** Secondary keys kept as indexes (e.g. actions by incident): name → key of a record. */
  indexes?: Record<string, (doc: any) => string | undefined>;
}

/** A reader that has not read the feed for this long checks that prune() did not pass it. */
const IDLE_CHECK_MS = 3600_000;
/** How long an announced write that has not landed is looked for: a writer that stopped never writes it. */
const PENDING_MS = 10 * 60_000;

interface Pending {
  entity: string;
  id: string;
  version: number;
  /** An entry announced its removal: whatever is held under this id is loaded again. */
  removed: boolean;
  until: number;
}

/**
 * The read model as saved (src/lib/mirror-snapshot.ts): every record of each entity, at least as new
 * as the feed's entry `seen`, and the announced writes still looked for then. Records newer than `seen`
 * are harmless: the entries after it name them, and they are read again.
 */
export interface SavedReadModel {
  seen: number;
  pending: Omit<Pending, 'until'>[];
  records: Map<string, any[]>;
}

export class Mirror {
  private readonly docs = new Map<string, Map<string, any>>();
  private readonly byIndex = new Map<string, Map<string, Set<string>>>();
  private readonly sources = new Map<string, MirrorSource>();
  /** Announced writes not seen yet, by entity:id. */
  private readonly pending = new Map<string, Pending>();
  private seen = -1;
  /** Whether every record was loaded once; until then requests would wait for the whole load (what /readyz says). */
  private loadedOnce = false;
  private lastRead = 0;
  /**
   * Writes this process announced for requests (or job runs) still under way, by entity:id: the version
   * each leaves and its request. Not acknowledged yet, they need not show; their writer keeps what it
   * wrote (learn), so a read meanwhile does not look for them in the store.
   */
  private readonly underWay = new Map<string, { version: number; scope: { readonly ended: boolean } }>();
  /** Values computed from the records, kept until the records change. */
  private readonly kept = new KeptValues();
  /** Where the first load starts from instead of every record, once (see startFrom). */
  private savedState: (() => Promise<SavedReadModel | undefined>) | undefined;

  constructor(
    sources: MirrorSource[],
    private readonly deps: { feed: Feed; revisions: Revisions; clock: Clock },
  ) {
    deps.feed.watchOwnWrites({
      announced: (changes) => this.announcedHere(changes),
      stored: (entity, doc) => {
        if (this.sources.has(entity)) this.learn(entity, doc);
      },
    });
    for (const s of sources) {
      this.sources.set(s.entity, s);
      this.docs.set(s.entity, new Map());
      for (const name of Object.keys(s.indexes ?? {})) this.byIndex.set(`${s.entity}.${name}`, new Map());
    }
  }

  /**
   * Brings the mirror up to date with every write acknowledged before the call (in a request: before
   * the request arrived or last wrote). A read of the feed that started later is enough; a call that
   * arrives while an earlier one is in flight waits for the next, which every such caller shares.
   */
  async sync(): Promise<void> {
    // Within one request, once is enough until the request itself writes.
    if (freshInRequest(this)) return;
    // A catch-up that started after the request arrived (or last wrote) has seen every write acknowledged
    // before it: a request that waited its turn while another read the feed need not read it again.
    await this.read(requestSince());
    markFresh(this);
  }

  private readonly read = coalesced(() => this.catchUp());

  /** Forgets everything and loads every record again (after a bulk load that bypassed the services). */
  async reload(): Promise<void> {
    this.seen = -1;
    await this.read();
    markFresh(this);
  }

  /** Every record of an entity, as stored (lean); callers must not change them. */
  all<T>(entity: string): T[] {
    return [...this.source(entity).values()] as T[];
  }

  get<T>(entity: string, id: string): T | undefined {
    return this.source(entity).get(id) as T | undefined;
  }

  /**
   * Every record of an entity in the order `compare` gives (a total order), sorted once and then patched
   * as records change: a list's page is one pass over it. `order` names the order for the cache;
   * callers must not change the list.
   */
  sorted<T>(entity: string, order: string, compare: (a: T, b: T) => number): T[] {
    return this.selection(entity, order, compare);
  }

  /**
   * The records of an entity that `keep` accepts, in the order `compare` gives (a total order): selected
   * and sorted once, then patched change by change (src/lib/kept-values.ts), so a filtered list costs its
   * changes, not a pass over every record. `name` must name the order and everything `keep` depends on
   * (the query, the time bucket); a change to one of `alsoOn` (entities `keep` reads) selects afresh.
   * Callers must not change the list.
   */
  selection<T>(entity: string, name: string, compare: (a: T, b: T) => number, keep?: (doc: T) => boolean, alsoOn: string[] = []): T[] {
    return this.kept.selection(entity, name, compare, () => this.all<T>(entity), keep, alsoOn);
  }

  /**
   * A value computed from the records of `entities` (a tally, a report's counts), kept until one of
   * them changes: asked again meanwhile, it costs a lookup. `key` must name everything else it depends
   * on (the query, the time bucket). With `patch`, a value is brought up to date from the changes to
   * the first entity since it was computed (each record before and after; undefined when there was
   * none, or is none now) rather than computed again; `patch` returns a new value, as earlier callers
   * may still hold the old one. Callers must not change it.
   */
  derived<T>(key: string, entities: string[], compute: () => T, patch?: (value: T, changes: { before?: unknown; after?: unknown }[]) => T): T {
    return this.kept.derived(key, entities, compute, patch);
  }

  /** This process's announced write of this record will not be made (refused): readers look for it from now on. */
  notWriting(entity: string, id: string): void {
    this.underWay.delete(`${entity}:${id}`);
  }

  /** This process has just deleted this record (after announcing its removal). */
  forget(entity: string, id: string): void {
    this.remove(entity, id);
  }

  /**
   * A record this process has just stored, as the store acknowledged it (a new record's document):
   * kept at once, so reading the feed entry that announced it needs no reload. Never goes back to an
   * older version.
   */
  learn(entity: string, doc: { _id: unknown; version?: number }): void {
    const id = String(doc._id);
    const have = this.source(entity).get(id);
    // Equal versions are replaced: a key reused after a filing was undone names a new record.
    if (have && (have.version ?? 0) > (doc.version ?? 0)) return;
    // The store keeps _id first; so does a record loaded from it, and the two compare equal (drift()).
    const { _id, ...fields } = doc;
    this.put(entity, id, { _id, ...fields });
    const own = this.underWay.get(`${entity}:${id}`);
    if (own && own.version <= (doc.version ?? 0)) this.underWay.delete(`${entity}:${id}`);
  }

  /** Records whose index `name` gives `key`. */
  find<T>(entity: string, name: string, key: string): T[] {
    const ids = this.byIndex.get(`${entity}.${name}`)?.get(key);
    if (!ids) return [];
    const docs = this.source(entity);
    return [...ids].map((id) => docs.get(id)) as T[];
  }

  count(entity: string): number {
    return this.source(entity).size;
  }

  /** Records that differ from the stored ones (compared by content), for the repair job; each is reloaded. */
  async drift(): Promise<{ entity: string; id: string }[]> {
    await this.sync();
    const out: { entity: string; id: string }[] = [];
    for (const [entity, source] of this.sources) {
      const stored = await source.model.find({}).lean();
      const mine = this.source(entity);
      const ids = new Set<string>();
      for (const doc of stored) {
        const id = String(doc._id);
        ids.add(id);
        if (JSON.stringify(mine.get(id)) !== JSON.stringify(doc)) out.push({ entity, id });
      }
      for (const id of mine.keys()) if (!ids.has(id)) out.push({ entity, id });
    }
    return out;
  }

  private source(entity: string): Map<string, any> {
    const docs = this.docs.get(entity);
    if (!docs) throw new Error(`read model: no source ${entity}`);
    return docs;
  }

  /**
   * The first load starts from what `load` gives (a saved read model), then reads the feed after it,
   * instead of reading every record; when it gives nothing, every record is read.
   */
  startFrom(load: () => Promise<SavedReadModel | undefined>): void {
    this.savedState = load;
  }

  /** Whether these are exactly the entities this read model keeps (a saved one of other entities is not used). */
  keeps(entities: string[]): boolean {
    return entities.length === this.sources.size && entities.every((e) => this.sources.has(e));
  }

  /** The read model to save, or undefined while it is not loaded; the maps are live, so they are read at once or copied. */
  saved(): SavedReadModel | undefined {
    if (this.seen < 0) return undefined;
    const pending = [...this.pending.values()].map(({ until: _until, ...p }) => p);
    return { seen: this.seen, pending, records: new Map([...this.docs].map(([entity, docs]) => [entity, [...docs.values()]])) };
  }

  private async catchUp(): Promise<void> {
    const now = this.deps.clock.now().getTime();
    if (this.seen < 0 && this.savedState) {
      const load = this.savedState;
      this.savedState = undefined;
      const state = await load();
      if (state) this.restore(state, now);
    }
    if (this.seen >= 0 && now - this.lastRead > IDLE_CHECK_MS && this.seen < (await this.deps.feed.prunedUpTo())) this.seen = -1;
    if (this.seen < 0) {
      await this.loadAll();
    } else {
      await this.apply(await this.deps.feed.after(this.seen));
    }
    this.lastRead = now;
    this.loadedOnce = true;
  }

  private restore(state: SavedReadModel, now: number): void {
    for (const [entity, source] of this.sources) this.fill(entity, source, state.records.get(entity)!);
    for (const p of state.pending) this.pending.set(`${p.entity}:${p.id}`, { ...p, until: now + PENDING_MS });
    this.seen = state.seen;
  }

  /** Replaces the entity's records and indexes with `docs`. */
  private fill(entity: string, source: MirrorSource, docs: any[]): void {
    this.docs.set(entity, new Map());
    for (const name of Object.keys(source.indexes ?? {})) this.byIndex.set(`${entity}.${name}`, new Map());
    for (const doc of docs) this.put(entity, String(doc._id), doc);
    this.kept.loadedWhole(entity);
  }

  /**
   * Loads every record. The feed's head is read first: a write after it is announced after it, so it
   * is read next time. A change claimed by a writer that stopped before writing it was never
   * acknowledged, so it is not looked for here; the next writer's claim of that version fails and
   * announces the record, which is then rolled forward (Revisions.replace).
   */
  private async loadAll(): Promise<void> {
    const head = await this.deps.feed.head();
    for (const [entity, source] of this.sources) this.fill(entity, source, await source.model.find({}).lean());
    this.seen = head;
  }

  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Notes this process's announced writes (new records and edits) while the request making them is under way. */
  private announcedHere(changes: FeedChange[]): void {
    const scope = currentScope();
    if (!scope) return;
    for (const c of changes) if (this.sources.has(c.entity) && c.v !== undefined && c.v >= 0) this.underWay.set(`${c.entity}:${c.id}`, { version: c.v, scope });
  }

  /** True while this process's own write of the announced version (or a later one) is under way. */
  private writingHere(key: string, version: number): boolean {
    // Marks of ended requests are swept at the start of apply().
    const own = this.underWay.get(key);
    return !!own && !own.scope.ended && version <= own.version;
  }

  /** Reloads the records the entries name (and the ones still pending) and notes the writes not landed yet. */
  private async apply(entries: FeedEntry[]): Promise<void> {
    const now = this.deps.clock.now().getTime();
    for (const [key, own] of this.underWay) if (own.scope.ended) this.underWay.delete(key);
    const changes = entries.flatMap((e) => e.changes);
    const named = new Set(changes.map((c) => `${c.entity}:${c.id}`));
    for (const c of changes) {
      if (!this.sources.has(c.entity)) continue;
      const key = `${c.entity}:${c.id}`;
      const before = this.pending.get(key);
      // A removal announced after a creation (an undone filing) is what to look for, not the creation.
      const version = c.v === REMOVED ? REMOVED : Math.max(c.v ?? -Infinity, before?.version ?? -Infinity);
      const removed = c.v === REMOVED || !!before?.removed;
      this.pending.set(key, { entity: c.entity, id: c.id, version, removed, until: now + PENDING_MS });
    }
    if (!entries.length && !this.pending.size) return;
    await Promise.all(
      [...this.pending].map(async ([key, p]) => {
        const have = this.source(p.entity).get(p.id);
        // Already at the announced version (this process wrote it, or loaded it since): nothing to reload,
        // unless it was removed meanwhile (its key may name a new record now).
        if (!p.removed && p.version >= 0 && have && (have.version ?? 0) >= p.version) {
          this.pending.delete(key);
          return;
        }
        // This process is still writing it: its writer keeps the result; looked for only if that fails.
        if (!p.removed && p.version >= 0 && this.writingHere(key, p.version)) return;
        const source = this.sources.get(p.entity)!;
        const found = await source.model.findById(p.id).lean();
        // Short of the announced version, the writer may have stopped between claiming and writing.
        const doc = found && (found.version ?? 0) < p.version ? await this.deps.revisions.rollForward(source.model, p.entity, found) : found;
        // A record only looked at again (not named by a new entry) and found as it was changes nothing,
        // and keeps the sorted lists (and the objects in them).
        const same = !named.has(key) && !doc === !have && doc?.version === have?.version;
        if (!same) {
          if (doc) this.put(p.entity, p.id, doc);
          else this.remove(p.entity, p.id);
        }
        const landed = p.version === REMOVED ? !doc : !!doc && (doc.version ?? 0) >= p.version;
        if (landed || now > p.until) this.pending.delete(key);
      }),
    );
    if (entries.length) this.seen = Number(entries[entries.length - 1]!._id);
  }

  private put(entity: string, id: string, doc: any): void {
    const before = this.unindex(entity, id);
    this.kept.changed(entity, before, doc);
    this.source(entity).set(id, doc);
    for (const [name, keyOf] of Object.entries(this.sources.get(entity)!.indexes ?? {})) {
      const key = keyOf(doc);
      if (key === undefined) continue;
      const index = this.byIndex.get(`${entity}.${name}`)!;
      let ids = index.get(key);
      if (!ids) index.set(key, (ids = new Set()));
      ids.add(id);
    }
  }

  private remove(entity: string, id: string): void {
    const before = this.unindex(entity, id);
    if (before) this.kept.changed(entity, before, undefined);
  }

  /** Takes a record out of the entity's records and indexes; returns it. */
  private unindex(entity: string, id: string): unknown {
    const old = this.source(entity).get(id);
    if (!old) return undefined;
    this.source(entity).delete(id);
    for (const [name, keyOf] of Object.entries(this.sources.get(entity)!.indexes ?? {})) {
      const key = keyOf(old);
      if (key !== undefined) this.byIndex.get(`${entity}.${name}`)!.get(key)?.delete(id);
    }
    return old;
  }
}

