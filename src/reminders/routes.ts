import express, { type Express } from 'express';
import { z } from 'zod';
import { actionKeyParams, dueDate } from '../actions/schemas.js';
import type { Api } from '../http/api.js';
import { actorOf } from '../http/actor.js';
import { toHttpError } from '../http/error-handler.js';
import { localMessage } from '../documents/format.js';
import { Forbidden, NotFound, Unprocessable, type FieldError } from '../lib/errors.js';
import { ui, type UiKey } from '../documents/ui-strings.js';
import { pageQuery } from '../http/paging.js';
import { OUTBOX_STATUSES } from '../mail/outbox.js';
import type { Outbox } from '../mail/outbox.js';
import type { ActionsService } from '../actions/service.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { Renderer } from '../documents/renderer.js';
import type { ActionLinks } from './links.js';
import type { PeopleLookup } from './people.js';
import { localDate } from '../lib/time.js';
import { can } from '../users/permissions.js';
import { readerOf } from './email.js';
import type { LinkPage, OneClick } from './one-click.js';
import { actionView, outboxMessageView, outboxView } from '../http/responses.js';

const outboxQuery = z.strictObject({
  status: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(OUTBOX_STATUSES)))
    .optional()
    .describe('comma-separated: pending, sent, failed, unsent (not sent: no SMTP)'),
  to: z.string().max(254).optional(),
  ...pageQuery,
});

const snoozeBody = z.strictObject({
  until: dueDate.nullable().describe("no reminders to the owner before this date (the action's time zone); null ends the snooze"),
});

export function reminderRoutes(api: Api, { outbox, actions, clock }: { outbox: Outbox; actions: ActionsService; clock: Clock }): void {
  // For admins once roles exist: the bodies hold one-click links meant for their recipients only.
  api.route({
    method: 'get',
    path: '/outbox',
    tag: 'email',
    summary: 'Messages written to the outbox: what was sent, is waiting, failed, or was not sent for lack of SMTP',
    query: outboxQuery,
    permission: 'admin',
    response: outboxView,
    handler: ({ query }) => outbox.list(query),
  });
  api.route({
    method: 'post',
    path: '/outbox/:id/retry',
    tag: 'email',
    summary: 'Send a failed message again now; a message that has not failed is left as it is (never sent twice)',
    params: z.strictObject({ id: z.string().max(100) }),
    permission: 'admin',
    response: outboxMessageView,
    handler: async ({ params }) => (await outbox.retry(params.id)) ?? Promise.reject(new NotFound(`Message ${params.id}`)),
  });
  api.route({
    method: 'post',
    path: '/actions/:key/snooze',
    tag: 'actions',
    summary: "Quiet the owner's reminders for an action until a date (escalation to the incident owner goes on)",
    params: actionKeyParams,
    body: snoozeBody,
    permission: 'actions:transition',
    response: actionView,
    handler: async ({ params, body, req }) => {
      const actor = actorOf(req);
      const action = await actions.find(params.key);
      if (actor.email !== action.owner && !can(actor.role, 'incidents:write')) throw new Forbidden(`Only the owner of ${action.key} or an editor may snooze it`);
      const today = localDate(action.timezone, clock.now());
      if (body.until && body.until <= today) throw new Unprocessable('A snooze must end after today', [{ field: 'until', message: `must be after ${today}` }]);
      return actions.patch(action.key, { version: action.version, snoozedUntil: body.until }, actor);
    },
  });
}

/** The confirmation forms' fields, by the labels their inputs carry. */
const LINK_FIELDS: Record<string, UiKey> = { note: 'actionLink.note', evidence: 'actionLink.evidence', dueDate: 'actionLink.newDueDate' };

/** The page's refusal and field errors in the reader's language, each error after its field's label. */
function inWords(page: LinkPage, locale: string): LinkPage {
  const labelled = (e: FieldError) => `${LINK_FIELDS[e.field] ? ui(locale, LINK_FIELDS[e.field]!) : e.field}: ${localMessage(e, locale)}`;
  return {
    ...page,
    ...(page.refusal ? { message: localMessage(page.refusal, locale) } : {}),
    ...(page.errors ? { errors: page.errors.map((e) => ({ ...e, message: labelled(e) })) } : {}),
  };
}

/** The pages behind the one-click links: GET shows a form, POST (the form) applies. Not under /api: the token is the credential. */
export function linkPages(app: Express, { oneClick, links, people, renderer, config }: { oneClick: OneClick; links: ActionLinks; people: PeopleLookup; renderer: Renderer; config: Config }): void {
  // In the recipient's locale and zone, as their email was; a forged token's page in the defaults.
  const send = async (res: express.Response, token: string, page: LinkPage) => {
    const recipient = await links.recipientOf(token);
    const reader = recipient ? await readerOf(people, config, recipient) : { locale: config.DEFAULT_LOCALE, zone: config.DEFAULT_TIMEZONE };
    res
      .status(page.refusal ? toHttpError(page.refusal)!.status : (page.status ?? 200))
      .type('html')
      .set('cache-control', 'no-store')
      .set('referrer-policy', 'no-referrer')
      .send(renderer.render({ kind: 'pages', name: 'action-link', locale: reader.locale, format: 'html', data: inWords(page, reader.locale), timezone: reader.zone }));
  };
  app.get('/links/:token', async (req, res) => {
    const token = String(req.params.token);
    await send(res, token, await oneClick.open(token));
  });
  // Its form body is read in src/app.ts, before the request takes its turn.
  app.post('/links/:token', async (req, res) => {
    const token = String(req.params.token);
    await send(res, token, await oneClick.confirm(token, (req.body ?? {}) as Record<string, unknown>));
  });
}
