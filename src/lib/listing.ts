/**
 * Sorting and paging of in-memory lists (the read model's), ordered as MongoDB orders them: missing
 * values first when ascending, dates by time, strings by code unit.
 */
export type SortKey<T> = [value: (item: T) => unknown, direction: 1 | -1];

export function compareValues(a: unknown, b: unknown): number {
  const missingA = a === undefined || a === null;
  const missingB = b === undefined || b === null;
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? -1 : 1;
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  return x! < y! ? -1 : x! > y! ? 1 : 0;
}

export function comparator<T>(keys: SortKey<T>[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const [value, direction] of keys) {
      const c = compareValues(value(a), value(b));
      if (c) return c * direction;
    }
    return 0;
  };
}

export function pageOf<T>(items: T[], page: number, pageSize: number): T[] {
  return items.slice((page - 1) * pageSize, page * pageSize);
}

/**
 * A test that accepts what every given test accepts; a filter not asked for is passed as `undefined`
 * (or false) and costs nothing. Undefined when no filter is asked for, so an unfiltered list is not walked at all.
 */
export function allOf<T>(tests: (((item: T) => boolean) | false | undefined)[]): ((item: T) => boolean) | undefined {
  const active = tests.filter((t): t is (item: T) => boolean => !!t);
  return active.length ? (item) => active.every((t) => t(item)) : undefined;
}

/** The first index whose value (ascending in index order) is at least `value`; `length` when none is. */
export function firstAtLeast(length: number, valueAt: (i: number) => number, value: number): number {
  let [lo, hi] = [0, length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (valueAt(mid) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
