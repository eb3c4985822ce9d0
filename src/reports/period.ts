/** The shapes a report is computed from; their own module so that data, compute, charts and service read them without a circle. */
import type { ActionDoc } from '../actions/model.js';
import type { AvailabilitySystem } from '../catalog/service.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { Week } from './weeks.js';

/**
 * Every action in report order (by incident, then number) with the facts a report reads of it, and
 * every closing (done or declined from an open status) in time order: kept until actions change, so a
 * period's actions are one pass over flat records and a week's openings and closings two binary searches.
 */
export interface ActionTimeline {
  actions: ActionDoc[];
  /** Row i is of actions[i]. */
  columns: ActionColumns;
  /** Openings in time order. */
  openings: Float64Array;
  closings: { at: number; key: string }[];
}

/** Instants as [start, end) pairs, flat and in time order. */
export type Spans = readonly number[];

/**
 * What a report counts of an action (src/reports/action-facts.ts), as one flat record of one shape:
 * reading these over every action is far quicker than replaying the stored records' histories.
 */
export interface ActionFacts {
  key: string;
  title: string;
  opened: number;
  /** While not done or declined, from its opening. */
  open: Spans;
  /** While open and past the due date it had then. */
  overdue: Spans;
  /** While open and without an owner. */
  unowned: Spans;
  /** Instants it closed (done or declined from an open status). */
  closings: readonly number[];
  /** The closings that were done by the due date it had then (within its SLA). */
  doneOnTime: readonly number[];
  verified: readonly number[];
}

/**
 * Every action's facts in report order, with the bounds of what each counts in typed arrays: a report
 * reads these rows one after another and opens an action's facts only when the bounds cannot answer
 * (it has more than one span of a kind, or closings or verifications in the range). Spans and events
 * that are none are bounded by Infinity and -Infinity, which nothing falls between.
 */
export interface ActionColumns {
  keys: string[];
  facts: ActionFacts[];
  opened: Float64Array;
  /** The first and the last of its closings and verifications. */
  eventsFrom: Float64Array;
  eventsTo: Float64Array;
  /** From the start of the first span to the end of the last, of each kind. */
  openFrom: Float64Array;
  openTo: Float64Array;
  overdueFrom: Float64Array;
  overdueTo: Float64Array;
  unownedFrom: Float64Array;
  unownedTo: Float64Array;
  /** Bit 1 (open), 2 (overdue), 4 (unowned): more than one span of that kind, so its bounds are not its spans. */
  gaps: Uint8Array;
  /**
   * The same bounds over each block of ACTION_BLOCK rows (src/reports/action-facts.ts): a report skips a
   * block none of whose rows it counts, and counts a block whose rows are all in a state at once,
   * rather than reading every row of the history.
   */
  blocks: BlockBounds;
}

/** For each block, the least and the greatest of its rows' bounds. */
export interface BlockBounds {
  openedMin: Float64Array;
  openedMax: Float64Array;
  eventsFrom: Float64Array;
  eventsTo: Float64Array;
  /** Of each state's first span start (From) and last span end (To). */
  states: Record<'open' | 'overdue' | 'unowned', { fromMin: Float64Array; fromMax: Float64Array; toMin: Float64Array; toMax: Float64Array }>;
  /** Its rows' gaps, or'ed. */
  gaps: Uint8Array;
}

/** Instants [start, end) in epoch milliseconds. */
export interface Range {
  start: number;
  end: number;
}

/** The days a report covers, as dates in its zone and as the instants [start, end). */
export interface ResolvedPeriod {
  week?: Week;
  from: string;
  to: string;
  zone: string;
  range: Range;
}

/**
 * Every incident in the order noticed (detected, else started; then by key), and where each could
 * repeat: kept by the read model, so a period's incidents are a binary search rather than a pass over all of them.
 */
export interface NoticedOrder {
  all: IncidentDoc[];
  /**
   * For each pairing of a service with a tag or a normalised root cause (repeatFeatures), the incidents
   * that have both, as places in `all` (ascending, so in the order noticed) with the instant each was
   * noticed (at[i] is of places[i]).
   */
  byFeature: Map<string, { places: Int32Array; at: Float64Array }>;
}

/** A customer-facing incident's impact, as availability reads it: `end` is Infinity while it has not ended. */
export interface FacingImpact {
  doc: IncidentDoc;
  start: number;
  end: number;
  /** A day-precision start or end. */
  approximate: boolean;
}

/**
 * Customer-facing impacts (every one, a system's, or those of no system), indexed once for every report asked of them until an incident
 * changes (src/reports/data.ts; built by indexImpacts in src/reports/compute.ts): a report of any week then reads its availability, and the year to date's,
 * in a few binary searches and the impacts that touch it, where reading the year's impacts again for
 * each week a manager opened cost more than the rest of the report.
 */
export interface ImpactIndex {
  /** The impacts ended (`end` not Infinity), by start: each one's start and end, whether approximate, and its place in key order. */
  starts: Float64Array;
  ends: Float64Array;
  endedApproximate: Uint8Array;
  endedRank: Int32Array;
  /** The longest ended impact: one touching a range starts at most this long before it. */
  longest: number;
  /** The impacts not ended, by start, likewise. */
  unendedStarts: Float64Array;
  unendedApproximate: Uint8Array;
  unendedRank: Int32Array;
  /** The ended impacts merged into sorted, disjoint spans, and how long the spans before each last. */
  spanStarts: Float64Array;
  spanEnds: Float64Array;
  before: Float64Array;
  /** The impacts in key order, which the ranks are places in: touching impacts are listed in order without comparing strings. */
  inKeyOrder: readonly FacingImpact[];
}

/** The customer-facing impacts indexed (src/reports/data.ts): every one, each of the report's systems', and those of no system. */
export interface ImpactIndexes {
  all: ImpactIndex;
  bySystem: ImpactIndex[];
  unmapped: ImpactIndex;
}

/** Incidents and actions read once per request; the report and the charts compute from them. */
export interface ReportData {
  /** The customer-facing impacts, indexed for any range (indexImpacts): every one, each of `systems`', and those of no system. */
  impacts: ImpactIndexes;
  noticed: NoticedOrder;
  timeline: ActionTimeline;
  /** The systems availability is counted for, from the catalog and AVAILABILITY_SYSTEMS (ServiceCatalog.systems). */
  systems: AvailabilitySystem[];
  now: number;
}
