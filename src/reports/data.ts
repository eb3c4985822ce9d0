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
 * Incidents that began (or came to light) before `to`: those whose impact may overlap a period ending
 * then, for availability and repeats. A plain find until the read model serves it.
 */
export async function incidentsBefore(services: Reads, to: Date): Promise<IncidentDoc[]> {
  return services.models.incidents
    .find({ $or: [{ 'window.startedAt.at': { $lt: to } }, { 'window.detectedAt.at': { $lt: to } }] })
    .lean<IncidentDoc[]>();
}

/** Every corrective action with its full history (reports replay it to know each action's state at a period's end). A plain find for now. */
export async function actionsWithHistory(services: Reads): Promise<ActionDoc[]> {
  return services.models.actions.find({}).sort({ incidentKey: 1, seq: 1 }).lean<ActionDoc[]>();
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
