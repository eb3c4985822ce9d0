import type { Connection } from 'mongoose';
import { actionModel } from './actions/model.js';
import { ActionsService } from './actions/service.js';
import { incidentModel } from './incidents/model.js';
import { IncidentsService } from './incidents/service.js';
import { revisionModel, Revisions } from './lib/revisions.js';
import type { Clock } from './lib/clock.js';
import type { Config } from './lib/config.js';
import type { Logger } from './lib/logger.js';

/** The composition root: every service is built once here and handed to routes and jobs. */
export function buildServices(deps: { config: Config; conn: Connection; clock: Clock; logger: Logger }) {
  const { config, conn, clock, logger } = deps;
  const models = { incidents: incidentModel(conn), actions: actionModel(conn), revisions: revisionModel(conn) };
  const revisions = new Revisions(models.revisions);
  const actions = new ActionsService({ actions: models.actions, incidents: models.incidents, revisions, clock, config });
  const incidents = new IncidentsService({ incidents: models.incidents, actions, revisions, clock, config });
  return { config, conn, clock, logger, models, revisions, actions, incidents };
}

export type Services = ReturnType<typeof buildServices>;

/** Creates the collections' indexes (unique keys carry correctness, so start-up waits for them). */
export async function syncIndexes(services: Services): Promise<void> {
  for (const model of Object.values(services.models)) await model.syncIndexes();
}
