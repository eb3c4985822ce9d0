import type { ActionDoc } from '../actions/model.js';
import type { ListActionsQuery } from '../actions/schemas.js';
import type { ActionsService } from '../actions/service.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { Mirror } from '../lib/mirror.js';
import type { ListIncidentsQuery } from '../incidents/schemas.js';
import type { IncidentsService } from '../incidents/service.js';

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
 * Incidents that touch [from, to): begun or found before `to`, and not over before `from` (resolved at or
 * after it, not resolved, or found at or after it). Availability, repeats and the period's incidents
 * all come from these.
 */
export async function incidentsOverlapping(reads: Reads, from: Date, to: Date): Promise<IncidentDoc[]> {
  await reads.mirror.sync();
  const [start, end] = [from.getTime(), to.getTime()];
  const at = (i: { at: Date } | undefined) => i?.at.getTime();
  return reads.mirror.all<IncidentDoc>('incident').filter((d) => {
    const w = d.window ?? {};
    const began = Math.min(at(w.startedAt) ?? Infinity, at(w.detectedAt) ?? Infinity);
    const over = at(w.resolvedAt);
    return began < end && (over === undefined || over >= start || (at(w.detectedAt) ?? -Infinity) >= start);
  });
}

/**
 * Corrective actions that entered the record before `to` (created, or filed with a postmortem whose SLA
 * starts earlier), with their full history: reports replay it to know each one's state at a period's end.
 */
export async function actionsWithHistory(reads: Reads, to: Date): Promise<ActionDoc[]> {
  await reads.mirror.sync();
  const end = to.getTime();
  // A report page asks twice for the same end (the report, then its charts).
  return reads.mirror.derived(`report-actions:${end}`, ['action'], () =>
    reads.mirror
      .sorted<ActionDoc>('action', 'incidentKey,seq', (a, b) => a.incidentKey.localeCompare(b.incidentKey) || a.seq - b.seq)
      .filter((a) => a.createdAt.getTime() < end || ((a.postmortemAt ?? a.slaFrom)?.getTime() ?? Infinity) < end),
  );
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
