import express, { type Request, type Response, type Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { sessionCookieOptions, SESSION_COOKIE } from '../http/auth.js';
import { ui, type UiKey } from '../documents/ui-strings.js';
import type { HttpError } from '../http/errors.js';
import { toHttpError } from '../http/error-handler.js';
import { formText, LANG_COOKIE, LANGUAGE_NAMES, pageLocale, renderPage, requireSignIn, safeNext, type PageContext } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import { LOCALES, type Locale } from '../lib/config.js';
import { chatError, chatFields, chatFromForm } from './chat-form.js';
import { password as passwordSchema, patchUserBody } from './schemas.js';
import type { OidcSignIn } from './oidc.js';
import { sendSignInLink, type SignInMail } from './sign-in-mail.js';
import { DAY_MS } from '../lib/time.js';

/** Every IANA zone this runtime knows, for the time zone picker. */
const ZONES = Intl.supportedValuesOf('timeZone');

/** Sign-in, one-time links, password reset, password, account settings, the language switch and sign-out pages. */
export function accountPages(services: PageContext & SignInMail & { oidc?: OidcSignIn }): Router {
  const { users, config } = services;
  const router = express.Router();
  const cookie = sessionCookieOptions(config);
  const text = (req: Request, key: UiKey) => ui(pageLocale(config, req), key);
  const passwords = config.PASSWORD_SIGN_IN;
  /** The login page's data: the provider's button (when configured) and the password form (unless turned off). */
  const login = (req: Request, next: unknown, extra: object = {}) => {
    const to = safeNext(next);
    return { title: text(req, 'login.title'), next: to, passwords, oidc: services.oidc && { name: config.OIDC_PROVIDER_NAME, next: encodeURIComponent(to) }, ...extra };
  };
  /** With PASSWORD_SIGN_IN=false, the password pages answer 404 with the way to sign in instead. */
  const passwordsOff = (req: Request, res: Response) =>
    renderPage(services, req, res, 'message', { title: text(req, 'login.title'), message: ui(pageLocale(config, req), 'login.passwordsOff', { name: config.OIDC_PROVIDER_NAME }) }, 404);

  // The header's language switch before sign-in: ?lang= shows the page in it, and the cookie keeps it.
  router.use((req, res, next) => {
    if (!req.actor && LOCALES.includes(req.query.lang as Locale)) res.cookie(LANG_COOKIE, req.query.lang, { ...cookie, maxAge: 365 * DAY_MS });
    next();
  });

  // Ten failed tries per address and email in 15 minutes: enough for typos, too few for guessing.
  // Successful sign-ins are not counted, or someone signing in on a few devices would be locked out.
  const loginLimit = rateLimit({
    windowMs: 15 * 60_000,
    limit: 10,
    skipSuccessfulRequests: true,
    // A refused sign-in is re-shown by a 303 to the form (renderPage): still a failure.
    requestWasSuccessful: (_req, res) => res.statusCode < 400 && res.locals.refusedStatus === undefined,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}:${String((req.body as { email?: unknown })?.email ?? '').toLowerCase()}`,
    handler: (req, res) =>
      renderPage(services, req, res, 'login', login(req, '/', { error: text(req, 'login.tooMany') }), 429),
  });

  // Reset links: three asks per address in an hour, and twenty from one network, so nobody's inbox is flooded.
  const resetLimit = (limit: number, key: (req: Request) => string) =>
    rateLimit({
      windowMs: 60 * 60_000,
      limit,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      keyGenerator: key,
      handler: (req, res) => renderPage(services, req, res, 'reset', { title: text(req, 'reset.title'), error: text(req, 'reset.tooMany') }, 429),
    });
  const resetByEmail = resetLimit(3, (req) => `email:${formText(req.body, 'email').toLowerCase()}`);
  const resetByAddress = resetLimit(20, (req) => `ip:${ipKeyGenerator(req.ip ?? '')}`);

  router.get('/login', (req, res) => renderPage(services, req, res, 'login', login(req, req.query.next)));

  router.post('/login', loginLimit, async (req, res) => {
    if (!passwords) return passwordsOff(req, res);
    const { email, password, next } = req.body as Record<string, unknown>;
    const user = typeof email === 'string' && typeof password === 'string' ? await users.checkPassword(email, password) : undefined;
    if (!user) {
      return renderPage(services, req, res, 'login', login(req, next, { error: text(req, 'login.wrong'), email }), 401);
    }
    res.cookie(SESSION_COOKIE, await users.startSession(String(user._id)), cookie);
    res.redirect(303, safeNext(next));
  });

  router.get('/login/reset', (req, res) => (passwords ? renderPage(services, req, res, 'reset', { title: text(req, 'reset.title') }) : passwordsOff(req, res)));

  // The same answer whether or not the email belongs to someone, so the page tells nobody who has an account.
  router.post('/login/reset', resetByAddress, resetByEmail, async (req, res) => {
    if (!passwords) return passwordsOff(req, res);
    const email = formText(req.body, 'email').toLowerCase();
    const person = email ? (await users.byEmail([email])).get(email) : undefined;
    if (person && !person.disabled) await sendSignInLink(services, person.email, 'reset');
    renderPage(services, req, res, 'reset', { title: text(req, 'reset.title'), sent: true });
  });

  // A mail scanner or link preview fetches the GET: it only shows who the link signs in; the POST uses it up.
  const linkInvalid = (req: Request, res: Response) =>
    renderPage(services, req, res, 'message', { title: text(req, 'link.invalid.title'), message: text(req, 'link.invalid.message') }, 410);
  router.get('/login/link', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const user = token ? await users.signInLinkHolder(token) : undefined;
    if (!user) return linkInvalid(req, res);
    res.set('Cache-Control', 'no-store');
    renderPage(services, req, res, 'link-confirm', { title: text(req, 'link.confirm.title'), email: user.email, token });
  });

  router.post('/login/link', async (req, res) => {
    const token = formText(req.body, 'token');
    const user = token ? await users.consumeSignInLink(token) : undefined;
    if (!user) return linkInvalid(req, res);
    res.cookie(SESSION_COOKIE, await users.startSession(String(user._id)), cookie);
    // A reset link is a sign-in link too: it leads to the password form either way (home when passwords are off).
    res.redirect(303, passwords ? '/account/password' : '/');
  });

  router.get('/account/password', requireSignIn, (req, res) => (passwords ? renderPage(services, req, res, 'password', { title: text(req, 'password.title') }) : passwordsOff(req, res)));

  router.post('/account/password', requireSignIn, async (req, res) => {
    if (!passwords) return passwordsOff(req, res);
    const parsed = passwordSchema.safeParse((req.body as { password?: unknown }).password);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const locale = pageLocale(config, req);
      const error =
        issue.code === 'too_small' ? ui(locale, 'password.tooShort') : issue.code === 'too_big' ? ui(locale, 'password.tooLong') : ui(locale, 'password.invalid', { reason: issue.message });
      return renderPage(services, req, res, 'password', { title: text(req, 'password.title'), error }, 422);
    }
    await users.setPassword(req.actor!.id, parsed.data, req.actor!);
    res.redirect(303, '/me?password=set');
  });

  const renderAccount = async (req: Request, res: Response, opts: { error?: HttpError; saved?: boolean; values?: Record<string, string> } = {}) => {
    const person = await users.find(req.actor!.id);
    renderPage(
      services,
      req,
      res,
      'account',
      {
        title: text(req, 'account.title'),
        person,
        values: opts.values ?? { name: person.name, locale: person.locale, timezone: person.timezone },
        chatKinds: chatFields(pageLocale(config, req), person.chat, opts.values, opts.error),
        locales: LOCALES.map((l) => ({ value: l, name: LANGUAGE_NAMES[l] })),
        zones: ZONES,
        saved: opts.saved,
        passwords,
        error: opts.error && accountError(req, opts.error),
      },
      opts.error?.status ?? 200,
    );
  };

  router.get('/account', requireSignIn, (req, res) => renderAccount(req, res, { saved: req.query.saved === '1' }));

  const accountError = (req: Request, error: HttpError) => {
    const chat = chatError(pageLocale(config, req), error);
    if (chat) return chat;
    if (error.fields.some((f) => f.field === 'timezone')) return text(req, 'form.zone');
    return error.status === 409 ? text(req, 'account.stale') : text(req, 'form.invalid');
  };

  router.post('/account', requireSignIn, async (req, res) => {
    const { typed, chat } = chatFromForm(req.body);
    const values = { name: formText(req.body, 'name'), locale: formText(req.body, 'locale'), timezone: formText(req.body, 'timezone'), ...typed };
    try {
      const person = await users.find(req.actor!.id);
      const body = { version: Number(formText(req.body, 'version')), name: values.name, locale: values.locale, timezone: values.timezone, chat };
      await users.update(person.email, parseOr400(patchUserBody, body, 'account'), req.actor!);
    } catch (err) {
      const error = toHttpError(err);
      if (error && error.status < 500 && error.status !== 404) return renderAccount(req, res, { error, values });
      throw err;
    }
    res.redirect(303, '/account?saved=1');
  });

  // The header's language switch when signed in: kept in the profile, back to the same page.
  router.post('/account/locale', requireSignIn, async (req, res) => {
    const locale = formText(req.body, 'locale');
    const person = await users.find(req.actor!.id);
    if (LOCALES.includes(locale as Locale) && locale !== person.locale) await users.update(person.email, { version: person.version, locale: locale as Locale }, req.actor!);
    const back = new URL(safeNext(formText(req.body, 'next')), 'http://page');
    back.searchParams.delete('lang');
    res.redirect(303, `${back.pathname}${back.search}${back.hash}`);
  });

  router.post('/logout', async (req, res) => {
    const session = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    const ended = session ? await users.endSession(session) : undefined;
    res.clearCookie(SESSION_COOKIE, cookie);
    // Signed in at the provider: signed out there too (RP-initiated logout), which comes back to /login.
    const atProvider = ended?.oidcSubject ? await services.oidc?.endSessionUrl() : undefined;
    res.redirect(303, atProvider ?? '/login');
  });

  return router;
}
