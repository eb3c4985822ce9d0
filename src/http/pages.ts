import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import Handlebars from 'handlebars';
import { isUiKey, ui } from '../documents/ui-strings.js';
import { LOCALES, type Config, type Locale } from '../lib/config.js';
import { can, PERMISSIONS, type Permission } from '../users/permissions.js';
import type { Actor } from './actor.js';
import { toHttpError } from './error-handler.js';
import { type HttpError } from './errors.js';
import { Forbidden } from '../lib/errors.js';
import { RETRY_AFTER_SECONDS } from './availability.js';
import type { Renderer } from '../documents/renderer.js';
import type { Mirror } from '../lib/mirror.js';
import type { UsersService } from '../users/service.js';
import { REFUSED_PARAM, refusalOwner, type RefusedForms } from './refused-forms.js';
import { authenticate, parseCookies } from './auth.js';
import { acceptedLocale } from './accept-language.js';

export { acceptedLocale };

/**
 * The locale a page is in: the signed-in reader's own; before sign-in, the browser's Accept-Language
 * when it names English or Chinese (any zh is zh-CN), else DEFAULT_LOCALE.
 */
export function pageLocale(config: Config, req: Request): Locale {
  if (req.actor) return req.actor.locale as Locale;
  return chosenLocale(req) ?? acceptedLocale(req.headers['accept-language']) ?? config.DEFAULT_LOCALE;
}

/** The cookie that keeps the language picked in the header before sign-in. */
export const LANG_COOKIE = 'debrief_lang';

/** The language picked before sign-in (the header's switch: ?lang=, kept in a cookie). */
function chosenLocale(req: Request): Locale | undefined {
  const picked = [req.query.lang, (req.cookies as Record<string, unknown> | undefined)?.[LANG_COOKIE]].find((v) => LOCALES.includes(v as Locale));
  return picked as Locale | undefined;
}

/** The named query parameters of a page, as text (the first of repeated ones, at most 200 characters); absent ones left out. */
export function pageQueryOf(req: Request, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const raw = req.query[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value === 'string' && value.trim()) out[name] = value.trim().slice(0, 200);
  }
  return out;
}

/** What every page module renders with: the configuration, the one renderer, and the refused forms kept to show again. */
export interface PageContext {
  config: Config;
  renderer: Renderer;
  refusedForms: RefusedForms;
}

/** What a page with a people picker reads besides: everyone enabled, from the read model. */
export interface PeopleContext {
  mirror: Mirror;
  users: UsersService;
}

/**
 * Renders a page template (templates/pages/<name>.html) through the one renderer, in the reader's locale
 * (pageLocale); the pages' own text comes from the `ui` strings. `may` says what the reader's role may do,
 * by permission name (`may.[incidents:write]`), so pages hide the controls a role may not use.
 */
export function renderPage(services: PageContext, req: Request, res: Response, name: string, data: object, status = 200): void {
  const { config, renderer } = services;
  const me = req.actor;
  const may = Object.fromEntries(Object.keys(PERMISSIONS).map((p) => [p, !!me && can(me.role, p as Permission)]));
  if (!me) res.vary('Accept-Language');
  const locale = pageLocale(config, req);
  // A refused page form (post-redirect-get): shown at the form's own GET address, so a reload shows it again.
  const reshow = req.method === 'POST' && status >= 400 && status !== 405;
  const address = reshow ? formAddress(req, res) : req.originalUrl;
  if (reshow) res.locals.refusedStatus = status;
  if (reshow && status === 413) {
    // Nothing of the body was read: the form's page comes back empty, and the browser puts back what it kept (forms.js).
    return res.redirect(303, withQuery(address, TOO_LARGE_PARAM, '1'));
  }
  // The header's language switch: the same page in the other language (signed in, it is kept in the profile).
  const other = LOCALES.find((l) => l !== locale)!;
  const here = new URL(address, 'http://page');
  here.searchParams.delete(REFUSED_PARAM);
  here.searchParams.delete(TOO_LARGE_PARAM);
  const plain = `${here.pathname}${here.search}`;
  here.searchParams.set('lang', other);
  const tooLarge = req.method === 'GET' && req.query[TOO_LARGE_PARAM] === '1';
  const html = renderer.render({
    kind: 'pages',
    name,
    locale,
    format: 'html',
    data: { ...data, me, may, csrf: res.locals.csrf, tooLarge, lang: { other, name: LANGUAGE_NAMES[other], here: plain, switchTo: `${here.pathname}${here.search}` } },
    timezone: me?.timezone ?? config.DEFAULT_TIMEZONE,
  });
  if (reshow) return res.redirect(303, withQuery(address, REFUSED_PARAM, services.refusedForms.keep(refusalOwner(req), status, html)));
  res.status(status).type('html').send(html);
}

/** The query parameter of a form page whose post was too large to read: the page says so and forms.js restores the fields. */
const TOO_LARGE_PARAM = 'tooLarge';

function withQuery(address: string, name: string, value: string): string {
  const url = new URL(address, 'http://page');
  url.searchParams.set(name, value);
  return `${url.pathname}${url.search}`;
}

/**
 * Where a posted page form lives: the address its refusal handler names (res.locals.formAddress, e.g. the
 * incident page for a comment), else the nearest of the posted path and its parents that a page answers
 * with GET (POST /incidents/new is the form at GET /incidents/new).
 */
function formAddress(req: Request, res: Response): string {
  const named = res.locals.formAddress as string | undefined;
  if (named) return named;
  const hasPage = req.app.locals.hasPage as ((path: string) => boolean) | undefined;
  const parts = req.path.split('/').filter(Boolean);
  for (let n = parts.length; n > 0; n--) {
    const path = `/${parts.slice(0, n).join('/')}`;
    if (hasPage?.(path)) return path;
  }
  return '/';
}

/**
 * The options of a page's people picker (a <datalist> of everyone enabled), escaped once per change to
 * people rather than on every page: a team of a thousand is two thousand escaped values a page.
 */
export async function peopleOptions(services: PeopleContext): Promise<Handlebars.SafeString> {
  await services.mirror.sync();
  const esc = Handlebars.escapeExpression;
  return services.mirror.derived('page:people-options', ['user'], () =>
    new Handlebars.SafeString(
      services.users
        .listed()
        .filter((p) => !p.disabled)
        .map((p) => `<option value="${esc(p.email)}">${esc(p.name)}</option>`)
        .join(''),
    ),
  );
}

/** A link to a list page with its current query changed by `change` (undefined removes a parameter), for filters and pages. */
export function listLink(path: string, query: Record<string, string>, change: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams(Object.entries({ ...query, ...change }).filter(([, v]) => v !== undefined && v !== '') as [string, string][]);
  return params.size ? `${path}?${params}` : path;
}

/** Each language by its own name, as a language switch shows it. */
export const LANGUAGE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '中文' };

/** Pages need a signed-in person; others are sent to sign in and brought back. */
export const requireSignIn: RequestHandler = (req, res, next) => {
  if (req.actor) return next();
  res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
};

/** The signed-in person, when their role has `permission` (the API's table); otherwise a 403 page. */
export function allow(req: Request, permission: Permission): Actor {
  const actor = req.actor!;
  if (!can(actor.role, permission)) throw new Forbidden(`A ${actor.role} may not do this (needs ${PERMISSIONS[permission].join(' or ')})`);
  return actor;
}

/** A text field of a posted form, trimmed; '' when absent (a repeated field gives its last value). */
export function formText(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof last === 'string' ? last.trim() : '';
}

/**
 * A form post on a page (Post/Redirect/Get): `change` makes the change through the services, as the API
 * does, and returns where to go (303). A service's refusal (400, 403, 409, 422) is handed to `refused`
 * to show on the page; an unknown record and anything else go to the error pages.
 */
export function formPost(
  permission: Permission,
  change: (req: Request, actor: Actor) => Promise<string>,
  refused: (req: Request, res: Response, error: HttpError) => Promise<void>,
): RequestHandler[] {
  return [
    requireSignIn,
    async (req, res) => {
      const actor = allow(req, permission);
      let to: string;
      try {
        to = await change(req, actor);
      } catch (err) {
        const error = toHttpError(err);
        if (!error || error.status === 404 || error.status >= 500) throw err;
        return refused(req, res, error);
      }
      res.redirect(303, to);
    },
  ];
}

/** Only local paths are followed after sign-in, so a crafted link cannot send people elsewhere. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) ? next : '/';
}

/** A person browsing gets a page for a known error (unknown incident, refused role); API clients keep JSON. */
export function pageErrors(services: PageContext & { users: UsersService; storeAvailable: () => boolean }): ErrorRequestHandler {
  return async (err, req, res, next) => {
    const error = toHttpError(err);
    if (!error || req.path.startsWith('/api/') || req.accepts(['json', 'html']) !== 'html') return next(err);
    // The method guard answers before sign-in is read: learn who is asking, so the page has their navigation and language.
    if (!req.actor && services.storeAvailable()) await whoIsAsking(services, req, res);
    const key = `error.${error.code}`;
    const locale = pageLocale(services.config, req);
    const title = `${error.status} ${isUiKey(key) ? ui(locale, key) : error.code.replace(/_/g, ' ')}`;
    // A store restarting or a crowd of requests is not the reader's fault: say so in their language and when to try again.
    // Other errors are said in the reader's words (a code's own sentence); the detail stays in the API's answer.
    const sentence = `error.${error.code}Message`;
    const message = error.status === 503 ? ui(locale, error.code === 'busy' ? 'error.busyMessage' : 'error.unavailableMessage') : isUiKey(sentence) && (locale !== 'en' || error.status === 405) ? ui(locale, sentence) : error.message;
    if (error.status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    renderPage(services, req, res, 'message', { title, message }, error.status);
  };
}

/** The session's person, read as `authenticate` would; a bad credential leaves the page anonymous. */
async function whoIsAsking(services: { users: UsersService }, req: Request, res: Response): Promise<void> {
  try {
    if (!req.cookies) await new Promise<void>((resolve) => parseCookies(req, res, () => resolve()));
    await new Promise<void>((resolve, reject) => void Promise.resolve(authenticate(services.users)(req, res, () => resolve())).catch(reject));
  } catch {
    // An invalid token on a page request: the error page is shown to nobody in particular.
  }
}

/** A form field with one item a line (root causes, evidence, actions), blank lines dropped. */
export function formLines(body: unknown, name: string): string[] {
  return formText(body, name).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
}

/**
 * A request body from form fields as the API would receive it: empty strings, lists and sections are
 * left out, so an empty input means "not given" and the schema's defaults and "required" apply.
 */
export function compact(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const kept = v && typeof v === 'object' && !Array.isArray(v) ? compact(v as Record<string, unknown>) : v;
    const empty = kept === undefined || kept === '' || (Array.isArray(kept) && !kept.length) || (typeof kept === 'object' && kept !== null && !Array.isArray(kept) && !Object.keys(kept).length);
    if (!empty) out[key] = kept;
  }
  return out;
}
