import express, { type Express, type Request, type Response, type Router } from 'express';
import { sessionCookieOptions, SESSION_COOKIE } from '../http/auth.js';
import { ui } from '../documents/ui-strings.js';
import { pageLocale, renderPage, safeNext, type PageContext } from '../http/pages.js';
import { OidcRefusal, type OidcSignIn } from './oidc.js';

/** Holds the started sign-in (encrypted) from /auth/oidc/start until the provider sends the person back. */
const FLOW_COOKIE = 'debrief_oidc_flow';
const FLOW_PATH = '/auth/oidc';
export const BACKCHANNEL_LOGOUT_PATH = '/auth/oidc/backchannel-logout';

/** The sign-in pages of the identity provider: start (to the provider) and callback (back from it). */
export function oidcPages(services: PageContext & { oidc?: OidcSignIn }): Router {
  const router = express.Router();
  const { oidc, config } = services;
  if (!oidc) return router;
  // Lax, not strict: the provider's redirect back is a cross-site top-level GET, which must carry it.
  const flowCookie = { ...sessionCookieOptions(config), path: FLOW_PATH, maxAge: 10 * 60_000 };

  const refused = (req: Request, res: Response, err: OidcRefusal) => {
    const locale = pageLocale(config, req);
    const vars = { name: config.OIDC_PROVIDER_NAME, email: err.email ?? '', reason: err.message };
    const title = ui(locale, err.key === 'failed' || err.key === 'unavailable' ? 'oidc.failed.title' : 'oidc.refused.title');
    res.set('Cache-Control', 'no-store');
    renderPage(services, req, res, 'message', { title, message: ui(locale, `oidc.${err.key}.message`, vars) }, err.status);
  };

  router.get('/auth/oidc/start', async (req, res) => {
    try {
      const { url, flow } = await oidc.begin(safeNext(req.query.next));
      res.cookie(FLOW_COOKIE, flow, flowCookie);
      res.set('Cache-Control', 'no-store');
      res.redirect(303, url);
    } catch (err) {
      if (err instanceof OidcRefusal) return refused(req, res, err);
      throw err;
    }
  });

  router.get('/auth/oidc/callback', async (req, res) => {
    // One answer per started sign-in, whatever it is: the flow cookie goes.
    res.clearCookie(FLOW_COOKIE, { ...flowCookie, maxAge: undefined });
    try {
      const query = new URL(req.originalUrl, 'http://callback').search;
      const { session, next } = await oidc.finish(query, (req.cookies as Record<string, string> | undefined)?.[FLOW_COOKIE]);
      res.cookie(SESSION_COOKIE, session, sessionCookieOptions(config));
      res.redirect(303, next);
    } catch (err) {
      if (err instanceof OidcRefusal) return refused(req, res, err);
      throw err;
    }
  });
  return router;
}

/**
 * The provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0): a server-to-server form
 * post with a signed logout token, so it is mounted before the pages' CSRF check. 200 when the token is
 * good (whether or not a session was still open), 400 with the reason otherwise, as section 2.8 asks.
 */
export function oidcBackchannel(app: Express, oidc: OidcSignIn | undefined): void {
  if (!oidc) return;
  app.post(BACKCHANNEL_LOGOUT_PATH, async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const token = (req.body as { logout_token?: unknown } | undefined)?.logout_token;
    if (typeof token !== 'string' || !token) {
      res.status(400).json({ error: 'invalid_request', error_description: 'logout_token: required (a form field holding the logout token)' });
      return;
    }
    try {
      await oidc.backchannelLogout(token);
      res.status(200).end();
    } catch (err) {
      if (!(err instanceof OidcRefusal)) throw err;
      res.status(err.status === 502 ? 502 : 400).json({ error: 'invalid_request', error_description: err.message });
    }
  });
}
