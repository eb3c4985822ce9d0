import { firstAtLeast } from '../lib/listing.js';
import { getOr } from '../lib/maps.js';
import { DAY_MS } from '../lib/time.js';
import { doneOnTime } from './due.js';
import type { ActionDoc } from './model.js';
import { isClosed } from './schemas.js';

const blankCounts = () => ({ total: 0, open: 0, overdue: 0, unowned: 0, done: 0, verified: 0, wontFix: 0 });
type Counts = ReturnType<typeof blankCounts>;

/**
 * The stats' counts over a set of actions, kept up to date as actions change: each action adds to the
 * totals, its owner's and its team's counts and (once done) the days it took; a change takes the
 * record before out and puts the record after in. Overdue is decided once per action when it is
 * counted, so a tally is kept within one quarter hour (the stats' key says which).
 */
export class Tally {
  private constructor(
    private readonly overdueNow: (d: ActionDoc) => boolean,
    private readonly totals: Counts,
    private readonly byOwner: Map<string | null, Counts>,
    private readonly byTeam: Map<string | null, Counts>,
    /** Days from creation to done, ascending. */
    private readonly days: number[],
    private onTime: number,
  ) {}

  private shown?: object;

  static of(docs: ActionDoc[], overdueNow: (d: ActionDoc) => boolean): Tally {
    const tally = new Tally(overdueNow, blankCounts(), new Map(), new Map(), [], 0);
    for (const d of docs) tally.count(d, 1);
    return tally;
  }

  /** A new tally with `changes` applied to a copy of this one (earlier answers may still hold this one). */
  patched(changes: { before?: ActionDoc; after?: ActionDoc }[], keep = (_: ActionDoc) => true): Tally {
    const copy = (m: Map<string | null, Counts>) => new Map([...m].map(([k, c]) => [k, { ...c }]));
    const next = new Tally(this.overdueNow, { ...this.totals }, copy(this.byOwner), copy(this.byTeam), this.days.slice(), this.onTime);
    for (const { before, after } of changes) {
      if (before && keep(before)) next.count(before, -1);
      if (after && keep(after)) next.count(after, 1);
    }
    return next;
  }

  private count(d: ActionDoc, sign: 1 | -1): void {
    const overdue = this.overdueNow(d);
    for (const c of [this.totals, getOr(this.byOwner, d.owner ?? null, blankCounts), getOr(this.byTeam, d.team ?? null, blankCounts)]) {
      c.total += sign;
      if (!isClosed(d.status)) {
        c.open += sign;
        if (!d.owner) c.unowned += sign;
      }
      if (overdue) c.overdue += sign;
      if (d.status === 'done') c.done += sign;
      if (d.status === 'verified') c.verified += sign;
      if (d.status === 'wont_fix') c.wontFix += sign;
    }
    // A row whose last action left is not shown.
    for (const [map, key] of [[this.byOwner, d.owner ?? null], [this.byTeam, d.team ?? null]] as const) if (!map.get(key)!.total) map.delete(key);
    if (!d.doneAt) return;
    const days = (d.doneAt.getTime() - d.createdAt.getTime()) / DAY_MS;
    const at = firstAtLeast(this.days.length, (i) => this.days[i]!, days);
    if (sign > 0) this.days.splice(at, 0, days);
    else if (this.days[at] === days) this.days.splice(at, 1);
    if (doneOnTime(d.dueDate, d.doneAt, d.timezone)) this.onTime += sign;
  }

  /** The stats as the API shows them, worked out once per tally; `oldestOpen` gives that list. */
  view<T>(oldestOpen: () => T[]) {
    const build = () => ({
      ...this.totals,
      byOwner: ranked(this.byOwner, 'owner'),
      byTeam: ranked(this.byTeam, 'team'),
      timeToDone: { count: this.days.length, medianDays: round2(percentile(this.days, 0.5)), p90Days: round2(percentile(this.days, 0.9)) },
      withinSla: { closed: this.days.length, onTime: this.onTime, share: this.days.length ? round2(this.onTime / this.days.length) : null },
      oldestOpen: oldestOpen(),
    });
    return (this.shown ??= build()) as ReturnType<typeof build>;
  }
}

/** Rows of a per-owner or per-team tally, most open first; the null row (unowned, no team) last among equals. */
function ranked<K extends string>(map: Map<string | null, Counts>, label: K) {
  return [...map]
    .sort(([a, x], [b, y]) => y.open - x.open || (a ?? '\uffff').localeCompare(b ?? '\uffff'))
    .map(([name, counts]) => ({ [label]: name, ...counts }) as Record<K, string | null> & Counts);
}

/** Linear interpolation between the closest ranks (the common spreadsheet and numpy definition). */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = (sorted.length - 1) * p;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

function round2(n: number | null): number | null {
  return n === null ? null : Math.round(n * 100) / 100;
}
