import type { Connection } from 'mongoose';
import { actionModel } from './actions/model.js';
import { ActionsService } from './actions/service.js';
import { importFingerprintModel } from './imports/model.js';
import { ImportsService } from './imports/service.js';
import { catalogServiceModel } from './catalog/model.js';
import { ServiceCatalog } from './catalog/service.js';
import { incidentModel } from './incidents/model.js';
import { IncidentsService } from './incidents/service.js';
import { snapshotModel } from './documents/model.js';
import { createRenderer } from './documents/renderer.js';
import { RenderedDocuments } from './documents/rendered.js';
import { DocumentsService } from './documents/service.js';
import { auditModel } from './audit/model.js';
import { AuditService } from './audit/service.js';
import { claimModel, Claims } from './lib/claims.js';
import { Feed, feedModels } from './lib/feed.js';
import { migrate } from './lib/migrations.js';
import { MIGRATIONS } from './migrations.js';
import { Mirror } from './lib/mirror.js';
import { Repository } from './lib/repository.js';
import { revisionModel, Revisions } from './lib/revisions.js';
import { watchConnection } from './lib/db.js';
import { buildReminders, reminderModels } from './reminders/compose.js';
import { CommentsService } from './reviews/comments.js';
import { reviewModels } from './reviews/model.js';
import { ReviewsService } from './reviews/service.js';
import { PeriodMetrics, reportModels } from './reports/metrics.js';
import { ReportsService } from './reports/service.js';
import { credentialModel, credentialUseModel, oidcIdentityModel, userModel } from './users/model.js';
import { OidcSignIn } from './users/oidc.js';
import { UsersService } from './users/service.js';
import { ChannelDelivery } from './channels/delivery.js';
import { ChatEvents } from './channels/events.js';
import { channelModels } from './channels/model.js';
import { SecretBox } from './channels/secrets.js';
import { SlackInteractions } from './channels/slack-interactions.js';
import { ReportSending } from './reports/sending.js';
import { ChannelsService } from './channels/service.js';
import { channelKeyBytes } from './lib/config.js';
import type { Clock } from './lib/clock.js';
import { RefusedForms } from './http/refused-forms.js';
import type { Config } from './lib/config.js';
import type { Logger } from './lib/logger.js';

/** The composition root: every service is built once here and handed to routes and jobs. */
export function buildServices(deps: { config: Config; conn: Connection; clock: Clock; logger: Logger; storeAvailable?: () => boolean }) {
  const { config, conn, clock, logger } = deps;
  /** False at once while the database is known to be down: requests get a 503 instead of waiting on the driver. */
  const storeAvailable = deps.storeAvailable ?? watchConnection(conn);
  const models = {
    incidents: incidentModel(conn),
    snapshots: snapshotModel(conn),
    actions: actionModel(conn),
    revisions: revisionModel(conn),
    ...feedModels(conn),
    claims: claimModel(conn),
    audit: auditModel(conn),
    users: userModel(conn),
    credentials: credentialModel(conn),
    credentialUses: credentialUseModel(conn),
    oidcIdentities: oidcIdentityModel(conn),
    ...reviewModels(conn),
    ...reminderModels(conn),
    ...reportModels(conn),
    importFingerprints: importFingerprintModel(conn),
    catalogServices: catalogServiceModel(conn),
    ...channelModels(conn),
  };
  const feed = new Feed({ feed: models.feed, feedMeta: models.feedMeta, clock });
  const revisions = new Revisions(models.revisions, feed);
  const mirror = new Mirror(
    [
      { entity: 'incident', model: models.incidents, indexes: { key: (d) => d.key, owner: (d) => d.owner } },
      { entity: 'action', model: models.actions, indexes: { incident: (d) => String(d.incidentId), owner: (d) => d.owner } },
      { entity: 'user', model: models.users, indexes: { email: (d) => d.email } },
      { entity: 'review', model: models.reviews },
      { entity: 'credential', model: models.credentials, indexes: { user: (d) => String(d.userId), token: (d) => d.tokenId, oidcSubject: (d) => d.oidcSubject, oidcSession: (d) => d.oidcSession } },
      { entity: 'comment', model: models.comments, indexes: { incident: (d) => String(d.incidentId) } },
      { entity: 'service', model: models.catalogServices },
    ],
    { feed, revisions, clock },
  );
  // The one write path of each mirrored entity (announce, write, keep in the read model).
  const writePath = { feed, mirror, revisions };
  const records = {
    incidents: new Repository('incident', models.incidents, writePath),
    actions: new Repository('action', models.actions, writePath),
    users: new Repository('user', models.users, writePath),
    reviews: new Repository('review', models.reviews, writePath),
    credentials: new Repository('credential', models.credentials, writePath),
    comments: new Repository('comment', models.comments, writePath),
    services: new Repository('service', models.catalogServices, writePath),
  };
  const claims = new Claims(models.claims);
  const audit = new AuditService({ audit: models.audit, clock });
  const users = new UsersService({ users: models.users, credentials: models.credentials, credentialUses: models.credentialUses, mirror, records, claims, audit, clock, config });
  const { OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET } = config;
  // Configured only as a whole (loadConfig refuses an issuer without a client id and secret).
  const oidc =
    OIDC_ISSUER && OIDC_CLIENT_ID && OIDC_CLIENT_SECRET
      ? new OidcSignIn({ config: { ...config, OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET }, users, identities: models.oidcIdentities, claims, clock, logger })
      : undefined;
  const actions = new ActionsService({
    mirror,
    records,
    audit,
    ownerZone: async (email) => (await users.byEmail([email])).get(email)?.timezone,
    // The mail path is built from the actions service, so it is reached once both exist.
    onAssigned: async (key, by) => {
      await mail.assignments.notify(key, by);
      await chatEvents.assigned(key, (incidentKey: string) => incidents.find(incidentKey));
    },
    clock,
    config,
  });
  const incidents: IncidentsService = new IncidentsService({
    incidents: models.incidents,
    mirror,
    records,
    actions,
    audit,
    // Chat is built after the outbox; events reach it once all exist.
    events: { filed: (doc): Promise<void> => chatEvents.filed(doc), statusChanged: (doc, from): Promise<void> => chatEvents.statusChanged(doc, from) },
    clock,
    config,
  });
  const catalog = new ServiceCatalog({ mirror, records, audit, clock, config });
  const imports = new ImportsService({ incidents, fingerprints: models.importFingerprints, clock, config });
  const renderer = createRenderer({ userDir: config.TEMPLATES_DIR, limits: { timeMs: config.RENDER_TIME_LIMIT_MS, outputChars: config.RENDER_OUTPUT_LIMIT } });
  const rendered = new RenderedDocuments({ renderer, clock });
  const documents = new DocumentsService({ incidents, actions, snapshots: models.snapshots, renderer, rendered, clock });
  const metrics = new PeriodMetrics({ models, clock });
  const reports = new ReportsService({ reads: { mirror, incidents, actions }, catalog, metrics, renderer, rendered, clock, config });
  const people = async (email: string) => (await users.byEmail([email])).get(email);
  const secretBox = new SecretBox(config.CHANNEL_SECRET_KEY ? channelKeyBytes(config.CHANNEL_SECRET_KEY) : undefined);
  const channels = new ChannelsService({ channels: models.channels, box: secretBox, audit, clock });
  const chatDelivery = new ChannelDelivery({ channels: models.channels, slots: models.channelSlots, box: secretBox, clock, config });
  const mail = buildReminders({ config, clock, logger, models, mirror, actions, renderer, people, chat: chatDelivery });
  const chatEvents: ChatEvents = new ChatEvents({
    channels,
    outbox: mail.outbox,
    people: (emails) => users.byEmail(emails),
    actions: () => actions,
    incidentOf: (key) => incidents.find(key),
    links: mail.links,
    clock,
    config,
    logger,
  });
  const slackInteractions = new SlackInteractions({
    channels,
    box: secretBox,
    claims: models.claims,
    oneClick: mail.oneClick,
    links: mail.links,
    people: (emails) => users.byEmail(emails),
    outbox: mail.outbox,
    clock,
    config,
    logger,
  });
  const reportSending = new ReportSending({ reports, outbox: mail.outbox, chat: chatEvents });
  const comments = new CommentsService({ mirror, records, audit, clock });
  const reviews = new ReviewsService({
    comments,
    incidents,
    actions,
    users,
    documents,
    notifications: mail.notifications,
    chat: chatEvents,
    revisions,
    records,
    mirror,
    audit,
    clock,
    config,
  });
  // Refused page forms shown again at their own address (post-redirect-get), for this process's pages.
  const refusedForms = new RefusedForms(clock);
  return { refusedForms, config, conn, clock, logger, models, storeAvailable, feed, mirror, revisions, records, claims, audit, users, oidc, actions, incidents, catalog, imports, renderer, documents, metrics, reports, people, ...mail, comments, reviews, channels, chatEvents, slackInteractions, reportSending };
}

export type Services = ReturnType<typeof buildServices>;

/**
 * Creates the collections' indexes (unique keys carry correctness, so start-up waits for them), then
 * brings data stored by earlier versions to today's shape.
 */
export async function syncIndexes(services: Services): Promise<void> {
  for (const model of Object.values(services.models)) await model.syncIndexes();
  const ran = await migrate(services.conn, MIGRATIONS);
  if (ran.length) services.logger.info({ migrations: ran }, 'stored data migrated');
}
