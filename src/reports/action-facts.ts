import type { ActionDoc } from '../actions/model.js';
import { doneOnTime, overdueFrom } from '../actions/due.js';
import { isClosed } from '../actions/schemas.js';
import type { ActionColumns, ActionFacts, BlockBounds, Spans } from './period.js';

/**
 * What a report counts of an action, worked out once per stored version from its history: when it was
 * open, overdue and unowned (as spans of time), and when it closed and was verified. A report then
 * asks each action whether a span holds an instant instead of replaying its history.
 */

/**
 * When an action entered the incident's record: actions filed with a postmortem count from the
 * incident's resolution (postmortemAt; slaFrom for those stored before it), not from the day they were typed in.
 */
export function openedAt(a: ActionDoc): number {
  return Math.min(a.createdAt.getTime(), (a.postmortemAt ?? a.slaFrom).getTime());
}

/** True when one of the [start, end) spans holds `t`. */
export function holds(spans: Spans, t: number): boolean {
  for (let i = 0; i < spans.length; i += 2) if (t >= spans[i]! && t < spans[i + 1]!) return true;
  return false;
}

/** True when one of the instants is in [start, end). */
export function anyIn(instants: readonly number[], start: number, end: number): boolean {
  for (const t of instants) if (t >= start && t < end) return true;
  return false;
}

// Most lists are empty: one empty list for all of them. Not frozen: a frozen array's elements are of
// another kind, which makes every read of these lists slower.
const NONE: Spans = [];
const kept = new WeakMap<ActionDoc, ActionFacts>();

/** Kept per stored record (the read model's records are never changed in place). */
export function factsOf(a: ActionDoc): ActionFacts {
  let facts = kept.get(a);
  if (facts) return facts;
  const opened = openedAt(a);
  const open = spansOf(a, 'status', opened);
  let closings: number[] | undefined;
  let doneOnTimes: number[] | undefined;
  let verified: number[] | undefined;
  for (const h of a.history) {
    if (h.field !== 'status') continue;
    const at = h.at.getTime();
    if (h.to === 'verified') (verified ??= []).push(at);
    if (!isClosed(h.to) || isClosed(h.from)) continue;
    (closings ??= []).push(at);
    if (h.to === 'done' && doneOnTime(valueAt(a, 'dueDate', at) as string | undefined, h.at, a.timezone)) (doneOnTimes ??= []).push(at);
  }
  facts = {
    key: a.key,
    title: a.title,
    opened,
    open,
    overdue: overlap(open, spansOf(a, 'dueDate', opened)),
    unowned: overlap(open, spansOf(a, 'owner', opened)),
    closings: closings ?? NONE,
    doneOnTime: doneOnTimes ?? NONE,
    verified: verified ?? NONE,
  };
  kept.set(a, facts);
  return facts;
}

type Field = 'status' | 'owner' | 'dueDate';

/** A field's value at an instant, from the history (in time order): the first later change tells what it was before. */
function valueAt(a: ActionDoc, field: Field, at: number): unknown {
  const later = a.history.find((h) => h.field === field && h.at.getTime() > at);
  return later ? later.from : a[field];
}

/**
 * Where a value of `field` held from `start` on starts to count: open (not done or declined) from its
 * opening, past its due date from the day after, unowned at once; undefined where it does not count.
 */
function countsFrom(a: ActionDoc, field: Field, value: unknown, start: number, opened: number): number | undefined {
  if (field === 'status') return isClosed(value) ? undefined : Math.max(start, opened);
  if (field === 'dueDate') return value ? Math.max(start, overdueFrom(value as string, a.timezone)) : undefined;
  return value ? undefined : start;
}

/**
 * The spans in which `field` counts (countsFrom), from the history (in time order): each change's
 * `from` was held from the change before it until it, and the value today since the last change.
 * Written without closures: it runs for every action when a report first reads them.
 */
function spansOf(a: ActionDoc, field: Field, opened: number): Spans {
  let out: number[] | undefined;
  let start = -Infinity;
  for (let k = 0; k <= a.history.length; k++) {
    const h = a.history[k];
    if (h && h.field !== field) continue;
    const end = h ? h.at.getTime() : Infinity;
    const begins = countsFrom(a, field, h ? h.from : a[field], start, opened);
    start = end;
    if (begins === undefined || begins >= end) continue;
    // Spans that touch are one.
    if (out && out[out.length - 1] === begins) out[out.length - 1] = end;
    else (out ??= []).push(begins, end);
  }
  return out ?? NONE;
}

/** The spans both sorted lists of spans hold. */
function overlap(a: Spans, b: Spans): Spans {
  if (!a.length || !b.length) return NONE;
  const out: number[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    const [start, end] = [Math.max(a[i]!, b[j]!), Math.min(a[i + 1]!, b[j + 1]!)];
    if (end > start) out.push(start, end);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return out.length ? out : NONE;
}

/** The facts as rows of an ActionColumns. */
export function columnsOf(facts: ActionFacts[]): ActionColumns {
  const n = facts.length;
  const column = () => new Float64Array(n);
  const c: Omit<ActionColumns, 'blocks'> = {
    keys: new Array<string>(n),
    facts,
    opened: column(),
    eventsFrom: column(),
    eventsTo: column(),
    openFrom: column(),
    openTo: column(),
    overdueFrom: column(),
    overdueTo: column(),
    unownedFrom: column(),
    unownedTo: column(),
    gaps: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const f = facts[i]!;
    c.keys[i] = f.key;
    c.opened[i] = f.opened;
    // Closings and verifications are each in time order.
    c.eventsFrom[i] = Math.min(f.closings[0] ?? Infinity, f.verified[0] ?? Infinity);
    c.eventsTo[i] = Math.max(f.closings.at(-1) ?? -Infinity, f.verified.at(-1) ?? -Infinity);
    c.openFrom[i] = f.open[0] ?? Infinity;
    c.openTo[i] = f.open.at(-1) ?? -Infinity;
    c.overdueFrom[i] = f.overdue[0] ?? Infinity;
    c.overdueTo[i] = f.overdue.at(-1) ?? -Infinity;
    c.unownedFrom[i] = f.unowned[0] ?? Infinity;
    c.unownedTo[i] = f.unowned.at(-1) ?? -Infinity;
    c.gaps[i] = (f.open.length > 2 ? 1 : 0) | (f.overdue.length > 2 ? 2 : 0) | (f.unowned.length > 2 ? 4 : 0);
  }
  return { ...c, blocks: blockBounds(c) };
}

/** How many rows a block of ActionColumns.blocks holds. */
export const ACTION_BLOCK = 256;

function blockBounds(c: Omit<ActionColumns, 'blocks'>): BlockBounds {
  const count = Math.ceil(c.keys.length / ACTION_BLOCK);
  const least = (column: Float64Array) => bound(column, count, Math.min, Infinity);
  const most = (column: Float64Array) => bound(column, count, Math.max, -Infinity);
  const state = (from: Float64Array, to: Float64Array) => ({ fromMin: least(from), fromMax: most(from), toMin: least(to), toMax: most(to) });
  const gaps = new Uint8Array(count);
  for (let i = 0; i < c.gaps.length; i++) gaps[Math.floor(i / ACTION_BLOCK)]! |= c.gaps[i]!;
  return {
    openedMin: least(c.opened),
    openedMax: most(c.opened),
    eventsFrom: least(c.eventsFrom),
    eventsTo: most(c.eventsTo),
    states: { open: state(c.openFrom, c.openTo), overdue: state(c.overdueFrom, c.overdueTo), unowned: state(c.unownedFrom, c.unownedTo) },
    gaps,
  };
}

/** `pick` (Math.min or Math.max) of each block's values of a column. */
function bound(column: Float64Array, count: number, pick: (a: number, b: number) => number, none: number): Float64Array {
  const out = new Float64Array(count).fill(none);
  for (let i = 0; i < column.length; i++) {
    const b = Math.floor(i / ACTION_BLOCK);
    out[b] = pick(out[b]!, column[i]!);
  }
  return out;
}
