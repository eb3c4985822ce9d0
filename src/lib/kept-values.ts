import { firstAtLeast } from './listing.js';
import { getOr, setBounded } from './maps.js';

/** How many derived values (see derived()) are kept at once. */
const DERIVED_KEPT = 400;
/** How many sorted orders (see selection()) are kept at once. */
const SORTED_KEPT = 50;
/** How many recent changes per entity are remembered, so a kept order is patched rather than sorted again. */
const JOURNAL_KEPT = 256;
/** More changes than this since a kept order and it is sorted again (each change costs a pass over it). */
const PATCH_AT_MOST = 64;

/** One change to a record: before and after (undefined when there was none, or is none now). */
interface Change {
  count: number;
  before?: unknown;
  after?: unknown;
}

/**
 * Values the read model computes from its records (sorted lists, tallies, a report's counts), kept
 * until a record they come from changes, and then patched from the changes rather than computed again
 * when there are few. The read model (src/lib/mirror.ts) tells it of every change.
 */
export class KeptValues {
  /** Changes seen per entity, so values derived from an entity's records are kept until it changes. */
  private readonly changes = new Map<string, number>();
  /** Each entity's recent changes in order; emptied when the entity is loaded whole. */
  private readonly journal = new Map<string, Change[]>();
  private readonly derivedCache = new Map<string, { count: number; others: string; value: unknown }>();
  private readonly sortedCache = new Map<string, { count: number; others: string; list: unknown[] }>();

  /** A record of `entity` changed (before and after; both undefined: changes not told one by one). */
  changed(entity: string, before?: unknown, after?: unknown): void {
    const count = (this.changes.get(entity) ?? 0) + 1;
    this.changes.set(entity, count);
    if (!before && !after) return;
    const journal = getOr(this.journal, entity, () => []);
    journal.push({ count, before, after });
    if (journal.length > 2 * JOURNAL_KEPT) journal.splice(0, journal.length - JOURNAL_KEPT);
  }

  /** Every record of `entity` was replaced: what was kept is computed again, not patched. */
  loadedWhole(entity: string): void {
    this.journal.set(entity, []);
    this.changed(entity);
  }

  /** See Mirror.selection; `all` gives every record of the entity. */
  selection<T>(entity: string, name: string, compare: (a: T, b: T) => number, all: () => T[], keep?: (doc: T) => boolean, alsoOn: string[] = []): T[] {
    const key = `${entity}:${name}`;
    const count = this.changes.get(entity) ?? 0;
    const others = this.stamp(alsoOn);
    const kept = this.sortedCache.get(key) as { count: number; others: string; list: T[] } | undefined;
    if (kept?.count === count && kept.others === others) return kept.list;
    const since = kept?.others === others ? this.changesSince(entity, kept.count) : undefined;
    const list = since && kept ? patchOrder(kept.list, since, compare, keep) : (keep ? all().filter(keep) : all()).sort(compare);
    setBounded(this.sortedCache, key, { count, others, list }, SORTED_KEPT);
    return list;
  }

  /** See Mirror.derived. */
  derived<T>(key: string, entities: string[], compute: () => T, patch?: (value: T, changes: { before?: unknown; after?: unknown }[]) => T): T {
    const [first, ...rest] = entities;
    const count = this.changes.get(first!) ?? 0;
    const others = this.stamp(rest);
    const hit = this.derivedCache.get(key) as { count: number; others: string; value: T } | undefined;
    if (hit?.count === count && hit.others === others) return hit.value;
    const since = patch && hit?.others === others ? this.changesSince(first!, hit.count) : undefined;
    const value = since && hit ? patch!(hit.value, since) : compute();
    // The oldest first out: queries vary without end, the data they are kept for does not.
    setBounded(this.derivedCache, key, { count, others, value }, DERIVED_KEPT);
    return value;
  }

  /** The entity's changes after `count`, when all of them are remembered and they are few. */
  private changesSince(entity: string, count: number): Change[] | undefined {
    const journal = this.journal.get(entity) ?? [];
    const from = journal.findIndex((c) => c.count > count);
    if (from < 0 || journal[from]!.count !== count + 1 || journal.length - from > PATCH_AT_MOST) return undefined;
    return journal.slice(from);
  }

  private stamp(entities: string[]): string {
    return entities.map((e) => this.changes.get(e) ?? 0).join(',');
  }
}

/**
 * A kept order brought up to date change by change: the record before is taken out, the record after
 * goes in (when `keep` accepts it) after those it does not sort before (where a stable sort puts a
 * record re-added last). The kept list is copied: earlier answers may still hold it.
 */
function patchOrder<T>(kept: T[], changes: Change[], compare: (a: T, b: T) => number, keep?: (doc: T) => boolean): T[] {
  const list = kept.slice();
  for (const { before, after } of changes) {
    if (before) {
      const at = list.indexOf(before as T);
      if (at >= 0) list.splice(at, 1);
    }
    if (after && (!keep || keep(after as T))) list.splice(firstAtLeast(list.length, (i) => (compare(list[i]!, after as T) > 0 ? 1 : 0), 1), 0, after as T);
  }
  return list;
}
