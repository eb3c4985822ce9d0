import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { toHttpError } from './error-handler.js';
import type { Services } from '../services.js';

/** Renders a page template (templates/pages/<name>.html) through the one renderer, in the reader's locale. */
export function renderPage(services: Services, req: Request, res: Response, name: string, data: object, status = 200): void {
  const { config, renderer } = services;
  const me = req.actor;
  const html = renderer.render({
    kind: 'pages',
    name,
    locale: me?.locale ?? config.DEFAULT_LOCALE,
    format: 'html',
    data: { ...data, me, csrf: res.locals.csrf },
    timezone: me?.timezone ?? config.DEFAULT_TIMEZONE,
  });
  res.status(status).type('html').send(html);
}

/** Pages need a signed-in person; others are sent to sign in and brought back. */
export const requireSignIn: RequestHandler = (req, res, next) => {
  if (req.actor) return next();
  res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
};

/** Only local paths are followed after sign-in, so a crafted link cannot send people elsewhere. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) ? next : '/';
}

/** A person browsing gets a page for a known error (unknown incident, refused role); API clients keep JSON. */
export function pageErrors(services: Services): ErrorRequestHandler {
  return (err, req, res, next) => {
    const error = toHttpError(err);
    if (!error || req.path.startsWith('/api/') || req.accepts(['json', 'html']) !== 'html') return next(err);
    renderPage(services, req, res, 'message', { title: `${error.status} ${error.code.replace(/_/g, ' ')}`, message: error.message }, error.status);
  };
}
