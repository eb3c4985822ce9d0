import type { Connection } from 'mongoose';
import type { ActionsService } from '../actions/service.js';
import type { ClaimModel } from '../lib/claims.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Mirror } from '../lib/mirror.js';
import { createMailer } from '../mail/mailer.js';
import { Outbox, outboxModels, type ChatDelivery } from '../mail/outbox.js';
import type { TemplateRenderer } from './email.js';
import { Assignments } from './assignments.js';
import { ActionLinks, settingModel } from './links.js';
import { ReviewNotices } from './notices.js';
import { notificationModels, Notifications } from './notifications.js';
import { OneClick } from './one-click.js';
import type { PeopleLookup } from './people.js';
import { RemindersService } from './service.js';

/** The collections of the mail path and reminders, for the composition root's model list. */
export function reminderModels(conn: Connection) {
  return { ...outboxModels(conn), ...notificationModels(conn), settings: settingModel(conn) };
}

/** Builds the outbox, reminders, digests, review notices and one-click links from the shared services. */
export function buildReminders(deps: {
  config: Config;
  clock: Clock;
  logger: Logger;
  models: ReturnType<typeof reminderModels> & { claims: ClaimModel };
  mirror: Mirror;
  actions: ActionsService;
  renderer: TemplateRenderer;
  people: PeopleLookup;
  /** Posts the outbox's chat messages (src/channels/delivery.ts). */
  chat: ChatDelivery;
}) {
  const { config, clock, logger, models } = deps;
  const outbox = new Outbox({ models, mailer: createMailer(config.SMTP_URL, config.MAIL_FROM), chat: deps.chat, clock, config, logger });
  const notifications = new Notifications({ notifications: models.notifications, reports: models.notificationReports, queue: models.notificationQueue, clock });
  const links = new ActionLinks({ settings: models.settings, claims: models.claims, config, clock, logger });
  const reminders = new RemindersService({ ...deps, notifications, outbox, links });
  const reviewNotices = new ReviewNotices({ ...deps, notifications, outbox, links });
  const oneClick = new OneClick({ links, actions: deps.actions, clock });
  const assignments = new Assignments({ notifications, actions: () => deps.actions, clock, config });
  return { outbox, notifications, links, reminders, reviewNotices, oneClick, assignments };
}
