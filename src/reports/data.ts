import type { ActionDoc } from '../actions/model.js';
import type { ListActionsQuery } from '../actions/schemas.js';
import type { ActionsService } from '../actions/service.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { Mirror } from '../lib/mirror.js';
import type { ListIncidentsQuery } from '../incidents/schemas.js';
import type { IncidentsService } from '../incidents/service.js';
import { compareValues, firstAtLeast } from '../lib/listing.js';
import { getOr } from '../lib/maps.js';
import { columnsOf, factsOf, openedAt } from './action-facts.js';
import type { AvailabilitySystem } from '../catalog/service.js';
import { byKey, impactColumns, impactsBySystem, impactWindow, indexImpacts, keyOrder, noticedAt, repeatFeatures } from './compute.js';
import { impactBounds } from '../incidents/convert.js';
import type { ActionTimeline, FacingImpact, ImpactIndexes, NoticedOrder } from './period.js';

/**
 * Every read the reports, charts and exports make of incidents and actions, in one place: from the
 * in-memory read model (src/lib/mirror.ts), brought up to date first, or through the services' lists.
 * They take plain instants and give lean documents as stored.
 */
export interface Reads {
  mirror: Mirror;
  incidents: IncidentsService;
  actions: ActionsService;
}

/**
 * What a report reads, all from one moment of the read model (nothing is awaited between them): the
 * customer-facing impacts indexed (for the period's and the year's availability and impact), every
 * incident in the order noticed, and the timeline of every action.
 */
export async function readPeriod(reads: Reads, systems: AvailabilitySystem[]): Promise<{ impacts: ImpactIndexes; noticed: NoticedOrder; timeline: ActionTimeline }> {
  await reads.mirror.sync();
  return { impacts: impactIndexes(reads, systems), noticed: noticedOrder(reads), timeline: actionTimeline(reads) };
}

/**
 * The customer-facing impacts indexed (indexImpacts): every one, each system's, and those in no
 * system's services; kept until an incident changes, a new mapping of services to systems under its own name.
 */
function impactIndexes(reads: Reads, systems: AvailabilitySystem[]): ImpactIndexes {
  const mapping = JSON.stringify(systems.map((s) => s.services));
  return reads.mirror.derived(`report-impacts:${mapping}`, ['incident'], () => {
    const all = reads.mirror.selection<IncidentDoc>('incident', 'report-facing', byImpactStart, isFacing).map(impactOf);
    // The key order from a list patched as incidents change, rather than sorted again.
    const columns = impactColumns(all, keyOrder(reads.mirror.selection<IncidentDoc>('incident', 'report-facing-by-key', byKey, isFacing).map(impactOf)));
    const { bySystem, unmapped } = impactsBySystem(all, systems);
    return { all: indexImpacts(columns), bySystem: bySystem.map((places) => indexImpacts(columns, places)), unmapped: indexImpacts(columns, unmapped) };
  });
}

const isFacing = (d: IncidentDoc) => !!d.impact?.customerFacing && !!impactBounds(d);

/** See NoticedOrder: sorted once and patched as incidents change; indexed by feature when they change. */
function noticedOrder(reads: Reads): NoticedOrder {
  const all = reads.mirror.selection<IncidentDoc>('incident', 'report-noticed', byNoticed, (d) => noticedAt(d) !== undefined);
  const byFeature = reads.mirror.derived('report-noticed-by-feature', ['incident'], () => {
    const lists = new Map<string, { places: number[]; at: number[] }>();
    all.forEach((d, place) => {
      const at = noticedAt(d)!;
      for (const feature of repeatFeatures(d)) {
        const list = getOr(lists, feature, () => ({ places: [], at: [] }));
        list.places.push(place);
        list.at.push(at);
      }
    });
    return new Map([...lists].map(([feature, l]) => [feature, { places: Int32Array.from(l.places), at: Float64Array.from(l.at) }]));
  });
  return { all, byFeature };
}

const byNoticed = (a: IncidentDoc, b: IncidentDoc) => noticedAt(a)! - noticedAt(b)! || compareValues(a.key, b.key);

const impactsKept = new WeakMap<IncidentDoc, FacingImpact>();

/** A customer-facing incident's impact, kept per stored version. */
function impactOf(doc: IncidentDoc): FacingImpact {
  return getOr(impactsKept, doc, () => {
    const w = impactWindow(doc, Infinity)!;
    return { doc, start: w.start, end: w.end, approximate: w.approximate };
  });
}

const impactStart = (d: IncidentDoc) => impactBounds(d)!.from.at.getTime();
const byImpactStart = (a: IncidentDoc, b: IncidentDoc) => impactStart(a) - impactStart(b) || compareValues(a.key, b.key);

function actionTimeline(reads: Reads): ActionTimeline {
  const inOrder = () => reads.mirror.sorted<ActionDoc>('action', 'incidentKey,seq', (a, b) => a.incidentKey.localeCompare(b.incidentKey) || a.seq - b.seq);
  return reads.mirror.derived(
    'report-action-timeline',
    ['action'],
    () => {
      const actions = inOrder();
      const columns = columnsOf(actions.map(factsOf));
      return { actions, columns, openings: columns.opened.slice().sort(), closings: actions.flatMap(closingsOf).sort(byTime) };
    },
    // Brought up to date change by change: the record before taken out of the openings and closings, the record after put in.
    (kept, changes) => {
      const openings = Array.from(kept.openings);
      const closings = kept.closings.slice();
      for (const { before, after } of changes as { before?: ActionDoc; after?: ActionDoc }[]) {
        if (before) {
          const at = firstAtLeast(openings.length, (i) => openings[i]!, openedAt(before));
          if (openings[at] === openedAt(before)) openings.splice(at, 1);
          for (const c of closingsOf(before)) {
            for (let i = firstAtLeast(closings.length, (k) => closings[k]!.at, c.at); closings[i]?.at === c.at; i++) {
              if (closings[i]!.key === c.key) {
                closings.splice(i, 1);
                break;
              }
            }
          }
        }
        if (after) {
          openings.splice(firstAtLeast(openings.length, (i) => openings[i]!, openedAt(after)), 0, openedAt(after));
          for (const c of closingsOf(after)) closings.splice(firstAtLeast(closings.length, (k) => closings[k]!.at, c.at + 1), 0, c);
        }
      }
      const actions = inOrder();
      return { actions, columns: columnsOf(actions.map(factsOf)), openings: Float64Array.from(openings), closings };
    },
  );
}


/** An action's closings, in its history's order. */
const closingsOf = (a: ActionDoc) => factsOf(a).closings.map((at) => ({ at, key: a.key }));

const byTime = (x: { at: number }, y: { at: number }) => x.at - y.at;

/** An incident's actions that entered the record before `end`, in number order: a binary search, as the timeline is in report order. */
export function incidentActionsBefore(timeline: ActionTimeline, incidentKey: string, end: number): ActionDoc[] {
  const { actions, columns } = timeline;
  const out: ActionDoc[] = [];
  for (let i = firstAtLeast(actions.length, (k) => (actions[k]!.incidentKey.localeCompare(incidentKey) >= 0 ? 1 : 0), 1); actions[i]?.incidentKey === incidentKey; i++) {
    if (columns.opened[i]! < end) out.push(actions[i]!);
  }
  return out;
}

const EXPORT_PAGE = 200;

/** Pages of a list, one after another, until its total is reached. */
async function* paged<T>(list: (page: number) => Promise<{ items: T[]; total: number }>): AsyncGenerator<{ items: T[]; total: number }> {
  for (let page = 1; ; page++) {
    const { items, total } = await list(page);
    yield { items, total };
    if (page * EXPORT_PAGE >= total || !items.length) return;
  }
}

/** The incidents a list query selects, page by page (as the API shows them), for streaming exports. */
export function incidentPages(reads: Reads, q: Omit<ListIncidentsQuery, 'page' | 'pageSize'>) {
  return paged((page) => reads.incidents.list({ ...q, page, pageSize: EXPORT_PAGE }));
}

/** The actions a list query selects, page by page. */
export function actionPages(reads: Reads, q: Omit<ListActionsQuery, 'page' | 'pageSize'>) {
  return paged((page) => reads.actions.list({ ...q, page, pageSize: EXPORT_PAGE }));
}
