import express, { type Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { sessionCookieOptions, SESSION_COOKIE } from '../http/auth.js';
import { renderPage, requireSignIn, safeNext } from '../http/pages.js';
import type { Services } from '../services.js';
import { password as passwordSchema } from './schemas.js';

/** Sign-in, one-time links, password and sign-out pages. */
export function accountPages(services: Services): Router {
  const { users, config } = services;
  const router = express.Router();
  const cookie = sessionCookieOptions(config);

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
      renderPage(services, req, res, 'login', { title: 'Sign in', error: 'Too many attempts; wait 15 minutes and try again.', next: '/' }, 429),
  });

  router.get('/login', (req, res) => renderPage(services, req, res, 'login', { title: 'Sign in', next: safeNext(req.query.next) }));

  router.post('/login', loginLimit, async (req, res) => {
    const { email, password, next } = req.body as Record<string, unknown>;
    const user = typeof email === 'string' && typeof password === 'string' ? await users.checkPassword(email, password) : undefined;
    if (!user) {
      return renderPage(services, req, res, 'login', { title: 'Sign in', error: 'Wrong email or password.', email, next: safeNext(next) }, 401);
    }
    res.cookie(SESSION_COOKIE, await users.startSession(String(user._id)), cookie);
    res.redirect(303, safeNext(next));
  });

  router.get('/login/link', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const user = token ? await users.consumeSignInLink(token) : undefined;
    if (!user) {
      return renderPage(services, req, res, 'message', { title: 'Link not valid', message: 'This sign-in link is unknown, used or expired. Ask an admin for a new one.' }, 410);
    }
    res.cookie(SESSION_COOKIE, await users.startSession(String(user._id)), cookie);
    res.redirect(303, user.passwordHash ? '/' : '/account/password');
  });

  router.get('/account/password', requireSignIn, (req, res) => renderPage(services, req, res, 'password', { title: 'Password' }));

  router.post('/account/password', requireSignIn, async (req, res) => {
    const parsed = passwordSchema.safeParse((req.body as { password?: unknown }).password);
    if (!parsed.success) {
      return renderPage(services, req, res, 'password', { title: 'Password', error: `Password ${parsed.error.issues[0]!.message}.` }, 422);
    }
    await users.setPassword(req.actor!.id, parsed.data, req.actor!);
    renderPage(services, req, res, 'password', { title: 'Password', done: true });
  });

  router.post('/logout', async (req, res) => {
    const session = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    if (session) await users.endSession(session);
    res.clearCookie(SESSION_COOKIE, cookie);
    res.redirect(303, '/login');
  });

  return router;
}
