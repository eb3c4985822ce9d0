import express, { type Request, type Response, type Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { sessionCookieOptions, SESSION_COOKIE } from '../http/auth.js';
import { ui } from '../documents/ui-strings.js';
import { formText, pageLocale, renderPage, requireSignIn, safeNext } from '../http/pages.js';
import type { Services } from '../services.js';
import { password as passwordSchema } from './schemas.js';

/** Sign-in, one-time links, password and sign-out pages. */
export function accountPages(services: Services): Router {
  const { users, config } = services;
  const router = express.Router();
  const cookie = sessionCookieOptions(config);
  const text = (req: Request, key: Parameters<typeof ui>[1]) => ui(pageLocale(config, req), key);

  // Ten failed tries per address and email in 15 minutes: enough for typos, too few for guessing.
  // Successful sign-ins are not counted, or someone signing in on a few devices would be locked out.
  const loginLimit = rateLimit({
    windowMs: 15 * 60_000,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}:${String((req.body as { email?: unknown })?.email ?? '').toLowerCase()}`,
    handler: (req, res) =>
      renderPage(services, req, res, 'login', { title: text(req, 'login.title'), error: text(req, 'login.tooMany'), next: '/' }, 429),
  });

  router.get('/login', (req, res) => renderPage(services, req, res, 'login', { title: text(req, 'login.title'), next: safeNext(req.query.next) }));

  router.post('/login', loginLimit, async (req, res) => {
    const { email, password, next } = req.body as Record<string, unknown>;
    const user = typeof email === 'string' && typeof password === 'string' ? await users.checkPassword(email, password) : undefined;
    if (!user) {
      return renderPage(services, req, res, 'login', { title: text(req, 'login.title'), error: text(req, 'login.wrong'), email, next: safeNext(next) }, 401);
    }
    res.cookie(SESSION_COOKIE, await users.startSession(String(user._id)), cookie);
    res.redirect(303, safeNext(next));
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
    res.redirect(303, user.passwordHash ? '/' : '/account/password');
  });

  router.get('/account/password', requireSignIn, (req, res) => renderPage(services, req, res, 'password', { title: text(req, 'password.title') }));

  router.post('/account/password', requireSignIn, async (req, res) => {
    const parsed = passwordSchema.safeParse((req.body as { password?: unknown }).password);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const locale = pageLocale(config, req);
      const error =
        issue.code === 'too_small' ? ui(locale, 'password.tooShort') : issue.code === 'too_big' ? ui(locale, 'password.tooLong') : ui(locale, 'password.invalid', { reason: issue.message });
      return renderPage(services, req, res, 'password', { title: text(req, 'password.title'), error }, 422);
    }
    await users.setPassword(req.actor!.id, parsed.data, req.actor!);
    renderPage(services, req, res, 'password', { title: text(req, 'password.title'), done: true });
  });

  router.post('/logout', async (req, res) => {
    const session = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    if (session) await users.endSession(session);
    res.clearCookie(SESSION_COOKIE, cookie);
    res.redirect(303, '/login');
  });

  return router;
}
