import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../lib/config.js';
import { actorFromUser, type UsersService } from '../users/service.js';
import { Unauthorized } from './errors.js';
import { Forbidden } from '../lib/errors.js';

export const SESSION_COOKIE = 'debrief_session';

declare module 'express-serve-static-core' {
  interface Request {
    /** True when the actor came from a browser session cookie (and so CSRF applies). */
    viaSession?: boolean;
  }
}

function secureCookies(config: Config): boolean {
  return config.BASE_URL.startsWith('https://');
}

export function sessionCookieOptions(config: Config) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: secureCookies(config), path: '/' };
}

/**
 * Sets req.actor from an API token (Authorization: Bearer …) or a browser session cookie.
 * A bad token is a 401 at once; no credentials leaves req.actor unset for the route to refuse.
 */
export function authenticate(users: UsersService): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization;
    if (header) {
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      const user = token && (await users.authenticateToken(token));
      if (!user) throw new Unauthorized('API token is invalid, revoked, or not sent as "Authorization: Bearer <token>"');
      req.actor = actorFromUser(user);
      return next();
    }
    const session = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    const user = session ? await users.authenticateSession(session) : undefined;
    if (user) {
      req.actor = actorFromUser(user);
      req.viaSession = true;
    }
    next();
  };
}

/** CSRF protection for every state-changing request a browser session makes (token in a header or form field). */
export function csrf(config: Config) {
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => config.SESSION_SECRET,
    getSessionIdentifier: (req) => (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE] ?? '',
    cookieName: secureCookies(config) ? '__Host-debrief.csrf' : 'debrief.csrf',
    cookieOptions: { sameSite: 'strict', secure: secureCookies(config), httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => (req.headers['x-csrf-token'] as string | undefined) ?? (req.body as { _csrf?: string } | undefined)?._csrf,
  });
  const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
  /** For pages: every form post, signed in or not (the sign-in form too). */
  const forms: RequestHandler = (req, _res, next) => {
    if (!SAFE.has(req.method) && !validateRequest(req)) throw new Forbidden('Missing or invalid CSRF token; reload the page and try again');
    next();
  };
  /** For the API: requests riding on a session cookie; token clients are not browsers with ambient cookies. */
  const api: RequestHandler = (req, res, next) => (req.viaSession ? forms(req, res, next) : next());
  /** The form token for this session: the current one while it is valid, a new one after sign-in or sign-out. */
  const token = (req: Request, res: Response): string => {
    try {
      return generateCsrfToken(req, res, { overwrite: false, validateOnReuse: true });
    } catch {
      return generateCsrfToken(req, res, { overwrite: true });
    }
  };
  return { forms, api, token };
}

export const parseCookies = cookieParser();
