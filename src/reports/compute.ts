// Over 400 lines on purpose: the report's figures from the read model's indexes (impacts, incidents noticed, action blocks), which share their ranges and bounds.
import { percentile } from '../actions/tally.js';
import { durations, impactBounds, type Durations } from '../incidents/convert.js';
import type { IncidentDoc } from '../incidents/model.js';
import { compareValues, firstAtLeast } from '../lib/listing.js';
import { getOr } from '../lib/maps.js';
import { DAY_MS, type Span } from '../lib/time.js';
import { ACTION_BLOCK, anyIn, holds } from './action-facts.js';
import type { ActionColumns, FacingImpact, ImpactIndex, NoticedOrder, Range } from './period.js';

export type { ImpactIndex, Range };

/**
 * The period report's numbers, as pure functions of lean incidents and actions: the service reads the
 * data once (src/reports/data.ts) and charts reuse these per week.
 */

const MINUTE = 60_000;
/** An incident repeats an earlier one when they share a service and a root cause (tag or text) within this many days. */
export const REPEAT_WINDOW_DAYS = 90;

/** When an incident came to light: detected, or started when no detection time is recorded (how reports place it). */
export function noticedAt(doc: IncidentDoc): number | undefined {
  return (doc.window?.detectedAt ?? doc.window?.startedAt)?.at.getTime();
}

/** The impact (impactBounds, the one definition) as a range of milliseconds; still going at `now` when it has not ended. A day-precision end makes it approximate. */
export function impactWindow(doc: IncidentDoc, now: number): (Range & { approximate: boolean }) | undefined {
  const bounds = impactBounds(doc);
  if (!bounds) return undefined;
  const { from, until } = bounds;
  return { start: from.at.getTime(), end: until ? until.at.getTime() : now, approximate: from.precision === 'day' || until?.precision === 'day' };
}

export interface Downtime {
  /** Percent of the range customers were not affected, e.g. 99.988. */
  percent: number;
  downMinutes: number;
  approximate: boolean;
  incidents: string[];
}

/** Impacts in the order the report lists keys in (code units, as Array.prototype.sort), with each one's place. */
export interface KeyOrder {
  rank: Map<FacingImpact, number>;
  impacts: readonly FacingImpact[];
}

export const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export function keyOrder(inKeyOrder: FacingImpact[]): KeyOrder {
  return { rank: new Map(inKeyOrder.map((impact, n) => [impact, n])), impacts: inKeyOrder };
}

/**
 * Each impact's start, end, place in key order and whether approximate, read from the impacts once:
 * at 100,000 they lie scattered in memory, and reading them again for each index and each step cost a
 * third of a second after every incident change.
 */
export interface ImpactColumns {
  start: Float64Array;
  end: Float64Array;
  rank: Int32Array;
  approximate: Uint8Array;
  inKeyOrder: readonly FacingImpact[];
}

/** `order` holds every impact given. */
export function impactColumns(impacts: FacingImpact[], order: KeyOrder = keyOrder(impacts.slice().sort((a, b) => byKey(a.doc, b.doc)))): ImpactColumns {
  const n = impacts.length;
  const c = { start: new Float64Array(n), end: new Float64Array(n), rank: new Int32Array(n), approximate: new Uint8Array(n), inKeyOrder: order.impacts };
  for (let i = 0; i < n; i++) {
    const impact = impacts[i]!;
    c.start[i] = impact.start;
    c.end[i] = impact.end;
    c.rank[i] = order.rank.get(impact)!;
    c.approximate[i] = impact.approximate ? 1 : 0;
  }
  return c;
}

/** The impacts at `places` (every one when not given) indexed: by start, ties in the order given. */
export function indexImpacts(columns: ImpactColumns, places?: Int32Array): ImpactIndex {
  const { start, end } = columns;
  let byStart = places ?? everyPlace(start.length);
  let sorted = true;
  for (let k = 1; k < byStart.length && sorted; k++) sorted = start[byStart[k]!]! >= start[byStart[k - 1]!]!;
  // The read model gives them by start already.
  if (!sorted) byStart = byStart.slice().sort((x, y) => start[x]! - start[y]! || x - y);
  let unendedCount = 0;
  for (let k = 0; k < byStart.length; k++) if (end[byStart[k]!] === Infinity) unendedCount++;
  const ended = new Int32Array(byStart.length - unendedCount);
  const unended = new Int32Array(unendedCount);
  for (let k = 0, e = 0, u = 0; k < byStart.length; k++) {
    const place = byStart[k]!;
    if (end[place] === Infinity) unended[u++] = place;
    else ended[e++] = place;
  }
  const starts = pick(start, ended);
  const ends = pick(end, ended);
  // The ended impacts merged into disjoint spans (those ending before they start cover nothing).
  const spanStarts: number[] = [];
  const spanEnds: number[] = [];
  let longest = 0;
  for (let k = 0; k < ended.length; k++) {
    const [from, to] = [starts[k]!, ends[k]!];
    longest = Math.max(longest, to - from);
    if (to <= from) continue;
    const last = spanEnds.length - 1;
    if (last >= 0 && from <= spanEnds[last]!) spanEnds[last] = Math.max(spanEnds[last]!, to);
    else {
      spanStarts.push(from);
      spanEnds.push(to);
    }
  }
  const before = new Float64Array(spanStarts.length + 1);
  for (let k = 0; k < spanStarts.length; k++) before[k + 1] = before[k]! + spanEnds[k]! - spanStarts[k]!;
  return {
    starts,
    ends,
    endedRank: pick(columns.rank, ended),
    endedApproximate: pick(columns.approximate, ended),
    longest,
    unendedStarts: pick(start, unended),
    unendedRank: pick(columns.rank, unended),
    unendedApproximate: pick(columns.approximate, unended),
    spanStarts: Float64Array.from(spanStarts),
    spanEnds: Float64Array.from(spanEnds),
    before,
    inKeyOrder: columns.inKeyOrder,
  };
}

type Column = Float64Array | Int32Array | Uint8Array;

const everyPlace = (n: number) => {
  const places = new Int32Array(n);
  for (let i = 0; i < n; i++) places[i] = i;
  return places;
};

/** The values of `column` at `places`, as a column of its kind. */
function pick<C extends Column>(column: C, places: Int32Array): C {
  const out = new (column.constructor as new (length: number) => C)(places.length);
  for (let k = 0; k < places.length; k++) out[k] = column[places[k]!]!;
  return out;
}

/** How long the index's ended spans cover of [a, b). */
function covered(index: ImpactIndex, a: number, b: number): number {
  if (b <= a) return 0;
  const { spanStarts, spanEnds, before } = index;
  const coveredBy = (t: number) => {
    const i = firstAtLeast(spanStarts.length, (k) => spanStarts[k]!, t) - 1;
    return i < 0 ? 0 : before[i]! + Math.min(t, spanEnds[i]!) - spanStarts[i]!;
  };
  return coveredBy(b) - coveredBy(a);
}

/**
 * Minutes customers were affected in the range (overlapping impacts count once): an impact not ended
 * lasts until the range's end or now, whichever is first, so together they cover from the earliest
 * one's start; the ended spans inside that part count once.
 */
function downMinutes(index: ImpactIndex, range: Range, now: number): number {
  const earliest = index.unendedStarts[0] ?? Infinity;
  const [from, to] = [Math.max(earliest, range.start), Math.min(now, range.end)];
  const down = covered(index, range.start, range.end) + (to > from ? to - from - covered(index, from, to) : 0);
  return Math.round(down / MINUTE);
}

/** The index's impacts whose window (as of the range's end or now, when earlier) touches the range, in key order, and whether any of them is approximate. */
export function touchingIn(index: ImpactIndex, range: Range, now: number): { impacts: FacingImpact[]; approximate: boolean } {
  const until = Math.min(now, range.end);
  const ranks: number[] = [];
  let approximate = false;
  const { starts, ends, unendedStarts } = index;
  for (let i = firstAtLeast(starts.length, (k) => starts[k]!, range.start - index.longest); i < starts.length && starts[i]! < range.end; i++) {
    if (ends[i]! <= range.start) continue;
    ranks.push(index.endedRank[i]!);
    approximate ||= index.endedApproximate[i] === 1;
  }
  for (let i = 0; until > range.start && i < unendedStarts.length && unendedStarts[i]! < range.end; i++) {
    ranks.push(index.unendedRank[i]!);
    approximate ||= index.unendedApproximate[i] === 1;
  }
  return { impacts: Array.from(Int32Array.from(ranks).sort(), (n) => index.inKeyOrder[n]!), approximate };
}

/** Availability over a range from an index of impacts (indexImpacts): the percent up, the minutes down (overlaps counted once), and the incidents whose impact touches it. */
export function downtime(index: ImpactIndex, range: Range, now: number): Downtime {
  const { impacts, approximate } = touchingIn(index, range, now);
  const minutes = downMinutes(index, range, now);
  return { percent: percentUp(minutes, range), downMinutes: minutes, approximate, incidents: impacts.map((i) => i.doc.key) };
}

/**
 * The places (in `impacts`) of each system's impacts, those naming one of its services, in the order
 * given, and of the impacts naming no system's service; from one pass, reading each impact's services once.
 */
export function impactsBySystem(impacts: FacingImpact[], systems: { services: string[] }[]): { bySystem: Int32Array[]; unmapped: Int32Array } {
  const systemsOf = new Map<string, number[]>();
  systems.forEach((s, n) => new Set(s.services).forEach((service) => getOr(systemsOf, service, () => []).push(n)));
  const bySystem = systems.map((): number[] => []);
  const unmapped: number[] = [];
  // An impact naming two services of one system is that system's once.
  const lastAdded = new Int32Array(systems.length).fill(-1);
  impacts.forEach((impact, k) => {
    let mapped = false;
    for (const service of impact.doc.services ?? []) {
      for (const n of systemsOf.get(service) ?? []) {
        mapped = true;
        if (lastAdded[n] === k) continue;
        lastAdded[n] = k;
        bySystem[n]!.push(k);
      }
    }
    if (!mapped) unmapped.push(k);
  });
  return { bySystem: bySystem.map((places) => Int32Array.from(places)), unmapped: Int32Array.from(unmapped) };
}

/** Percent of the range customers were not affected. */
function percentUp(downMinutes: number, range: Range): number {
  const totalMinutes = (range.end - range.start) / MINUTE;
  return totalMinutes > 0 ? round((1 - downMinutes / totalMinutes) * 100, 4) : 100;
}

/** downtime(…).percent for each of many ranges (a chart's weeks): a few binary searches each. */
export function availabilityByRange(index: ImpactIndex, ranges: Range[], now: number): number[] {
  return ranges.map((range) => percentUp(downMinutes(index, range, now), range));
}

export interface SpanSummary {
  count: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
  /** How many of the counted spans are approximate (a day-precision end). */
  approximate: number;
}

/** Median and 90th percentile (interpolated between ranks) of the spans given. */
export function summariseSpans(spans: (Span | undefined)[]): SpanSummary {
  const known = spans.filter((s): s is Span => !!s);
  const minutes = known.map((s) => s.minutes).sort((a, b) => a - b);
  const p = (q: number) => {
    const v = percentile(minutes, q);
    return v === null ? null : Math.round(v);
  };
  return { count: known.length, medianMinutes: p(0.5), p90Minutes: p(0.9), approximate: known.filter((s) => s.approximate).length };
}

const durationsKept = new WeakMap<IncidentDoc, Durations>();
/** An incident's durations, kept per stored record (the read model's records are never changed in place): reports and charts ask for the same ones again. */
export const durationsOf = (doc: IncidentDoc): Durations => getOr(durationsKept, doc, () => durations(doc));

export function timeTo(docs: IncidentDoc[]): { detect: SpanSummary; mitigate: SpanSummary; resolve: SpanSummary } {
  const spans = docs.map(durationsOf);
  return {
    detect: summariseSpans(spans.map((s) => s.timeToDetect)),
    mitigate: summariseSpans(spans.map((s) => s.timeToMitigate)),
    resolve: summariseSpans(spans.map((s) => s.timeToResolve)),
  };
}

const normal = (text: string) => text.toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '');
/** An incident's root causes and trigger, normalised. */
const causesOf = (d: IncidentDoc): string[] => [...(d.cause?.rootCauses ?? []), ...(d.cause?.trigger ? [d.cause.trigger] : [])].map(normal).filter(Boolean);

/** The incidents of `order` (in the order noticed) noticed in [start, end), by two binary searches. */
export function noticedBetween(order: IncidentDoc[], start: number, end: number): IncidentDoc[] {
  return order.slice(firstNoticedAt(order, start), firstNoticedAt(order, end));
}

const firstNoticedAt = (order: IncidentDoc[], at: number) => firstAtLeast(order.length, (i) => noticedAt(order[i]!)!, at);

/**
 * What an incident could repeat on: each of its services paired with each of its tags and normalised
 * root causes (and trigger). Two incidents share a pairing exactly when they share a service and a tag or
 * cause. Kept per stored version (records in the read model are not changed in place).
 */
const featuresKept = new WeakMap<IncidentDoc, string[]>();
export function repeatFeatures(d: IncidentDoc): string[] {
  let features = featuresKept.get(d);
  if (!features) {
    const marks = [...new Set(d.tags ?? [])].map((t) => `t:${t}`).concat([...new Set(causesOf(d))].map((c) => `c:${c}`));
    features = [...new Set(d.services ?? [])].flatMap((s) => marks.map((m) => `${s}\u0000${m}`));
    featuresKept.set(d, features);
  }
  return features;
}

/** How many of the earlier incidents a repeat names (the most recent): the rest are counted. */
export const REPEATS_NAMED = 10;

/**
 * Incidents of `docs` (from `order.all`) that repeat an earlier one: a shared service and a shared tag
 * or root cause (compared without case, spaces or punctuation), noticed at most REPEAT_WINDOW_DAYS
 * before. Each reads only the lists of its own pairings (order.byFeature), two binary searches a list;
 * it names the REPEATS_NAMED most recent (in key order) and counts them all.
 */
export function repeats(docs: IncidentDoc[], order: NoticedOrder): { key: string; previous: string[]; count: number }[] {
  const { all, byFeature } = order;
  const out: { key: string; previous: string[]; count: number }[] = [];
  // An incident found through two pairings counts once: marked with the number of the incident it was found for.
  const seenFor = new Int32Array(all.length).fill(-1);
  docs.forEach((d, n) => {
    const at = noticedAt(d);
    if (at === undefined) return;
    // Its place in the order noticed: those before it are earlier (or as early, with a smaller key).
    let me = firstAtLeast(all.length, (i) => noticedAt(all[i]!)!, at);
    while (me < all.length && all[me] !== d) me++;
    if (me === all.length) return;
    let count = 0;
    const recent: number[] = [];
    for (const feature of repeatFeatures(d)) {
      const list = byFeature.get(feature);
      if (!list) continue;
      const first = firstAtLeast(list.at.length, (i) => list.at[i]!, at - REPEAT_WINDOW_DAYS * DAY_MS);
      const end = firstAtLeast(list.places.length, (i) => list.places[i]!, me);
      for (let i = first; i < end; i++) {
        const place = list.places[i]!;
        if (seenFor[place] === n) continue;
        seenFor[place] = n;
        count++;
      }
      // The most recent are at the end of each list: enough of each to find the most recent overall.
      for (let i = end - 1; i >= Math.max(first, end - REPEATS_NAMED); i--) recent.push(list.places[i]!);
    }
    if (!count) return;
    const named = [...new Set(recent)].sort((x, y) => y - x).slice(0, REPEATS_NAMED);
    out.push({ key: d.key, previous: named.map((place) => all[place]!.key).sort(compareValues), count });
  });
  return out;
}

/** A list too long to write out whole: how many there are, and the first `keys` in report order. */
export interface Named {
  count: number;
  keys: string[];
}

/**
 * Of the actions open, overdue or unowned at a period's end the report names this many, in report
 * order, and counts them all: across a company's history these are tens of thousands, and a report
 * (or its JSON) that lists them all is not read. The actions list gives them all as of now.
 */
export const STATE_KEYS_NAMED = 100;

export interface ActionCounts {
  opened: string[];
  closed: string[];
  closedWithinSla: string[];
  verified: { key: string; title: string }[];
  open: Named;
  overdue: Named;
  unowned: Named;
}

/**
 * Actions opened, closed (done or declined; verifying does not close again), closed by their due date,
 * and verified in the range; open, overdue and unowned as of its end (or `now`, when that is earlier),
 * from each action's history rather than its state today (src/reports/action-facts.ts). The lists are
 * in report order (by incident, then number), as the rows are.
 */
export function actionCounts(rows: ActionColumns, range: Range, now: number): ActionCounts {
  const out: ActionCounts = { opened: [], closed: [], closedWithinSla: [], verified: [], open: none(), overdue: none(), unowned: none() };
  const { start, end } = range;
  const asOf = Math.min(end, now) - 1;
  const { keys, facts, opened, eventsFrom, eventsTo, openFrom, openTo, overdueFrom, overdueTo, unownedFrom, unownedTo, gaps, blocks } = rows;
  const STATES = [
    ['open', 1, openFrom, openTo],
    ['overdue', 2, overdueFrom, overdueTo],
    ['unowned', 4, unownedFrom, unownedTo],
  ] as const;
  // Block by block, from the bounds of its rows: none of them counted (skipped), all of them in a state
  // at once (counted without reading them), or read row by row.
  for (let b = 0; b < blocks.gaps.length; b++) {
    const [first, last] = [b * ACTION_BLOCK, Math.min(keys.length, (b + 1) * ACTION_BLOCK)];
    const opens = blocks.openedMin[b]! < end && blocks.openedMax[b]! >= start;
    const events = blocks.eventsFrom[b]! < end && blocks.eventsTo[b]! >= start;
    const states = STATES.map(([name, bit]) => {
      const s = blocks.states[name];
      if (asOf < s.fromMin[b]! || asOf >= s.toMax[b]!) return 'none';
      return !(blocks.gaps[b]! & bit) && asOf >= s.fromMax[b]! && asOf < s.toMin[b]! ? 'all' : 'some';
    });
    if (!opens && !events && !states.includes('some')) {
      states.forEach((state, k) => {
        if (state === 'all') addRows(out[STATES[k]![0]], keys, first, last);
      });
      continue;
    }
    // Read row by row from the typed arrays; an action's facts only where the bounds cannot answer.
    for (let i = first; i < last; i++) {
      if (opened[i]! >= end) continue;
      if (opened[i]! >= start) out.opened.push(keys[i]!);
      if (eventsFrom[i]! < end && eventsTo[i]! >= start) {
        const f = facts[i]!;
        // Closed, reopened and closed again in the range counts once.
        if (anyIn(f.closings, start, end)) out.closed.push(f.key);
        if (anyIn(f.doneOnTime, start, end)) out.closedWithinSla.push(f.key);
        for (const at of f.verified) if (at >= start && at < end) out.verified.push({ key: f.key, title: f.title });
      }
      if (!(asOf >= openFrom[i]! && asOf < openTo[i]!) || (gaps[i]! & 1 && !holds(facts[i]!.open, asOf))) continue;
      add(out.open, keys[i]!);
      if (asOf >= overdueFrom[i]! && asOf < overdueTo[i]! && !(gaps[i]! & 2 && !holds(facts[i]!.overdue, asOf))) add(out.overdue, keys[i]!);
      if (asOf >= unownedFrom[i]! && asOf < unownedTo[i]! && !(gaps[i]! & 4 && !holds(facts[i]!.unowned, asOf))) add(out.unowned, keys[i]!);
    }
  }
  return out;
}

const none = (): Named => ({ count: 0, keys: [] });

function add(list: Named, key: string): void {
  if (list.count++ < STATE_KEYS_NAMED) list.keys.push(key);
}

/** add() of keys[first] to keys[last - 1]. */
function addRows(list: Named, keys: string[], first: number, last: number): void {
  for (let i = first; i < last && list.keys.length < STATE_KEYS_NAMED; i++) list.keys.push(keys[i]!);
  list.count += last - first;
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
