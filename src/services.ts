import type { Connection } from 'mongoose';
import { actionModel } from './actions/model.js';
import { ActionsService } from './actions/service.js';
import { incidentKeyModels, incidentModel } from './incidents/model.js';
import { IncidentsService } from './incidents/service.js';
import { snapshotModel } from './documents/model.js';
import { createRenderer } from './documents/renderer.js';
import { DocumentsService } from './documents/service.js';
import { auditModel } from './audit/model.js';
import { AuditService } from './audit/service.js';
import { claimModel, Claims } from './lib/claims.js';
import { revisionModel, Revisions } from './lib/revisions.js';
import { watchConnection } from './lib/db.js';
import { buildReminders, reminderModels } from './reminders/compose.js';
import { CommentsService } from './reviews/comments.js';
import { reviewModels } from './reviews/model.js';
import { ReviewsService } from './reviews/service.js';
import { ReportsService } from './reports/service.js';
import { credentialModel, userModel } from './users/model.js';
import { UsersService } from './users/service.js';
import type { Clock } from './lib/clock.js';
import type { Config } from './lib/config.js';
import type { Logger } from './lib/logger.js';

/** The composition root: every service is built once here and handed to routes and jobs. */
export function buildServices(deps: { config: Config; conn: Connection; clock: Clock; logger: Logger; storeAvailable?: () => boolean }) {
  const { config, conn, clock, logger } = deps;
  /** False at once while the database is known to be down: requests get a 503 instead of waiting on the driver. */
  const storeAvailable = deps.storeAvailable ?? watchConnection(conn);
  const models = {
    incidents: incidentModel(conn),
    ...incidentKeyModels(conn),
    snapshots: snapshotModel(conn),
    actions: actionModel(conn),
    revisions: revisionModel(conn),
    claims: claimModel(conn),
    audit: auditModel(conn),
    users: userModel(conn),
    credentials: credentialModel(conn),
    ...reviewModels(conn),
    ...reminderModels(conn),
  };
  const revisions = new Revisions(models.revisions);
  const claims = new Claims(models.claims);
  const audit = new AuditService({ audit: models.audit, clock });
  const users = new UsersService({ users: models.users, credentials: models.credentials, revisions, claims, audit, clock, config });
  const actions = new ActionsService({
    actions: models.actions,
    incidents: models.incidents,
    revisions,
    audit,
    ownerZone: async (email) => (await users.byEmail([email])).get(email)?.timezone,
    clock,
    config,
  });
  const incidents = new IncidentsService({ incidents: models.incidents, incidentKeys: models.incidentKeys, keyCounters: models.keyCounters, actions, revisions, audit, clock, config });
  const renderer = createRenderer({ userDir: config.TEMPLATES_DIR, limits: { timeMs: config.RENDER_TIME_LIMIT_MS, outputChars: config.RENDER_OUTPUT_LIMIT } });
  const documents = new DocumentsService({ incidents, actions, snapshots: models.snapshots, renderer, clock });
  const reports = new ReportsService({ incidents, actions, documents, renderer, clock, config });
  const people = async (email: string) => (await models.users.findOne({ email }).lean()) ?? undefined;
  const mail = buildReminders({ config, clock, logger, models, actions, renderer, people });
  const comments = new CommentsService({ comments: models.comments, audit, clock });
  const reviews = new ReviewsService({
    reviews: models.reviews,
    comments,
    incidents,
    actions,
    users,
    documents,
    notifications: mail.notifications,
    revisions,
    audit,
    clock,
    config,
  });
  return { config, conn, storeAvailable, clock, logger, models, revisions, claims, audit, users, actions, incidents, renderer, documents, reports, people, ...mail, comments, reviews };
}

export type Services = ReturnType<typeof buildServices>;

/** Creates the collections' indexes (unique keys carry correctness, so start-up waits for them). */
export async function syncIndexes(services: Services): Promise<void> {
  for (const model of Object.values(services.models)) await model.syncIndexes();
}
