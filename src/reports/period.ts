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
  /** facts[i] is of actions[i]. */
  facts: ActionFacts[];
  /** Openings in time order. */
  openings: Float64Array;
  closings: { at: number; key: string }[];
}

/**
 * What a report reads of an action without replaying its history, as one flat record of one shape:
 * reading these over every action is far quicker than reading the stored records, whose shapes vary.
 * Kept per stored record (the read model's records are never changed in place).
 */
export interface ActionFacts {
  key: string;
  opened: number;
  /** The last change of its status, owner or due date (what a report replays); -Infinity when none. */
  lastReplayed: number;
  closed: boolean;
  dueDate: string | undefined;
  owned: boolean;
  timezone: string;
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

/** Incidents and actions read once per request; the report and the charts compute from them. */
export interface ReportData {
  incidents: IncidentDoc[];
  noticed: NoticedOrder;
  timeline: ActionTimeline;
  /** The systems availability is counted for, from the catalog and AVAILABILITY_SYSTEMS (ServiceCatalog.systems). */
  systems: AvailabilitySystem[];
  now: number;
}
