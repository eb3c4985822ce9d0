import express, { type Request, type Response, type Router } from 'express';
import { ui } from '../documents/ui-strings.js';
import type { HttpError } from '../http/errors.js';
import { allow, compact, formPost, formText, pageLocale, renderPage, requireSignIn, type PageContext } from '../http/pages.js';
import type { Clock } from '../lib/clock.js';
import { parseOr400 } from '../http/validate.js';
import type { ChatEvents } from './events.js';
import { CHANNEL_EVENTS, CHANNEL_KINDS } from './model.js';
import { createChannelBody, patchChannelBody } from './schemas.js';
import type { ChannelsService } from './service.js';

/** A comma-separated form field as a list. */
const formCsv = (body: unknown, name: string) => formText(body, name).split(/[,，]/).map((s) => s.trim()).filter(Boolean);
/** The checked event boxes of a form (a repeated field). */
const formEvents = (body: unknown) => {
  const v = (body as Record<string, unknown> | undefined)?.events;
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((e): e is string => typeof e === 'string');
};

/**
 * Chat channels, for admins: the list (address without its key, whether a secret is kept), adding,
 * editing, disabling, removing, and "send a test message". The same schemas and service as /api/v1/channels;
 * a saved address or secret is never put back in a page (the edit form's fields start empty: empty keeps it).
 */
export function channelPages(services: PageContext & { channels: ChannelsService; chatEvents: ChatEvents; clock: Clock }): Router {
  const { channels, chatEvents, clock, config } = services;
  const router = express.Router();

  const render = async (req: Request, res: Response, opts: { error?: HttpError; done?: string } = {}) => {
    const locale = pageLocale(config, req);
    const list = (await channels.list()).map((c) => ({ ...c, ...(c.interactionsPath ? { interactionsUrl: `${config.BASE_URL}${c.interactionsPath}` } : {}), services: c.route.services.join(', '), teams: c.route.teams.join(', '), severities: c.route.severities.join(', ') }));
    renderPage(
      services,
      req,
      res,
      'channels',
      {
        title: ui(locale, 'channels.title'),
        channels: list,
        kinds: CHANNEL_KINDS,
        events: CHANNEL_EVENTS,
        done: opts.done,
        error: opts.error && { message: opts.error.message, fields: opts.error.fields.map((f) => `${f.field}: ${f.message}`) },
      },
      opts.error?.status ?? 200,
    );
  };

  router.get('/settings/channels', requireSignIn, async (req, res) => {
    allow(req, 'admin');
    const done = typeof req.query.done === 'string' ? req.query.done.slice(0, 100) : undefined;
    await render(req, res, { done });
  });

  const route = (body: unknown) => ({ services: formCsv(body, 'services'), teams: formCsv(body, 'teams'), severities: formCsv(body, 'severities') });

  router.post(
    '/settings/channels',
    ...formPost(
      'admin',
      async (req, actor) => {
        const b = req.body;
        const input = parseOr400(
          createChannelBody,
          compact({ name: formText(b, 'name'), kind: formText(b, 'kind'), url: formText(b, 'url'), secret: formText(b, 'secret'), events: formEvents(b), locale: formText(b, 'locale') }),
          'channel',
        );
        const made = await channels.create({ ...input, route: route(b) }, actor);
        return `/settings/channels?done=added#${made.id}`;
      },
      (req, res, error) => render(req, res, { error }),
    ),
  );

  router.post(
    '/settings/channels/:id',
    ...formPost(
      'admin',
      async (req, actor) => {
        const b = req.body;
        const id = String(req.params.id);
        const op = formText(b, 'op');
        const version = Number(formText(b, 'version'));
        if (op === 'test') {
          await chatEvents.test(await channels.find(id), clock.now());
          return `/settings/channels?done=tested#${id}`;
        }
        if (op === 'remove') {
          await channels.remove(id, actor);
          return '/settings/channels?done=removed';
        }
        const patch =
          op === 'disable' || op === 'enable'
            ? { version, disabled: op === 'disable' }
            : { version, ...compact({ name: formText(b, 'name'), url: formText(b, 'url'), secret: formText(b, 'secret') }), events: formEvents(b), route: route(b) };
        await channels.update(id, parseOr400(patchChannelBody, patch, 'channel'), actor);
        return `/settings/channels?done=saved#${id}`;
      },
      (req, res, error) => render(req, res, { error }),
    ),
  );

  return router;
}
