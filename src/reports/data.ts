import type { ActionDoc, ActionModel } from '../actions/model.js';
import type { ListActionsQuery } from '../actions/schemas.js';
import type { ActionsService } from '../actions/service.js';
import type { IncidentDoc, IncidentModel } from '../incidents/model.js';
import type { ListIncidentsQuery } from '../incidents/schemas.js';
import type { IncidentsService } from '../incidents/service.js';

/**
 * Every read the reports, charts and exports make of incidents and actions, in one place: the lead
 * re-implements these on the in-memory read model, so they take plain instants and give lean documents.
 */
export interface Reads {
  models: { incidents: IncidentModel; actions: ActionModel };
  incidents: IncidentsService;
  actions: ActionsService;
}

/** Incidents that came to light in [from, to) (detected, or started when no detection is recorded), oldest first. */
export function incidentsNoticedBetween(services: Reads, from: Date, to: Date): Promise<IncidentDoc[]> {
  return services.incidents.noticedBetween(from, to);
}

/**
 * Incidents that touch [from, to): begun or found before `to`, and not over before `from` (resolved at or
 * after it, not resolved, or found at or after it). Availability, repeats and the period's incidents
 * all come from these. A plain find until the read model serves it.
 */
export async function incidentsOverlapping(reads: Reads, from: Date, to: Date): Promise<IncidentDoc[]> {
  return reads.models.incidents
    .find({
      $and: [
        { $or: [{ 'window.startedAt.at': { $lt: to } }, { 'window.detectedAt.at': { $lt: to } }] },
        { $or: [{ 'window.resolvedAt.at': { $gte: from } }, { 'window.resolvedAt': { $exists: false } }, { 'window.detectedAt.at': { $gte: from } }] },
      ],
    })
    .lean<IncidentDoc[]>();
}

/**
 * Corrective actions that entered the record before `to` (created, or filed with a postmortem whose SLA
 * starts earlier), with their full history: reports replay it to know each one's state at a period's end.
 * A plain find for now.
 */
export async function actionsWithHistory(reads: Reads, to: Date): Promise<ActionDoc[]> {
  return reads.models.actions
    .find({ $or: [{ createdAt: { $lt: to } }, { slaFrom: { $lt: to } }] })
    .sort({ incidentKey: 1, seq: 1 })
    .lean<ActionDoc[]>();
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
