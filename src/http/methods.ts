import type { RequestHandler, Router } from 'express';
import { getOrBounded } from '../lib/maps.js';
import { HttpError } from './errors.js';

/** What the guard reads of express's router internals: each route layer's path matcher and methods. */
interface RouteLayer {
  route?: { _methods(): string[] };
  match(path: string): unknown;
}

export interface MountedRouter {
  prefix: string;
  router: Router;
}

/** The methods some route answers at `path` (HEAD with GET, and OPTIONS), in a stable order; empty when no route has the path. */
export function allowedMethods(routers: MountedRouter[], path: string): string[] {
  const methods = new Set<string>();
  for (const { prefix, router } of routers) {
    if (prefix && path !== prefix && !path.startsWith(`${prefix}/`)) continue;
    const inner = path.slice(prefix.length) || '/';
    for (const layer of router.stack as unknown as RouteLayer[]) {
      if (layer.route && layer.match(inner)) for (const m of layer.route._methods()) methods.add(m);
    }
  }
  if (methods.size) methods.add('OPTIONS');
  return [...methods].sort();
}

/**
 * Answers a method no route has at a known path with 405 and `Allow`, and OPTIONS with the honest
 * `Allow`, before sign-in, CSRF or body parsing (a PUT with a token is not a CSRF failure).
 * Unknown paths go on to the 404.
 */
export function methodGuard(routers: () => MountedRouter[]): RequestHandler {
  // Routes are all in place before the first request and never change: a path's answer is kept (matching every route's pattern costs more than most requests' own work).
  const known = new Map<string, string[]>();
  return (req, res, next) => {
    const allow = getOrBounded(known, req.path, 5000, () => allowedMethods(routers(), req.path));
    if (!allow.length) return next();
    if (req.method === 'OPTIONS') {
      res.set('Allow', allow.join(', ')).status(204).end();
      return;
    }
    if (allow.includes(req.method)) return next();
    res.set('Allow', allow.join(', '));
    throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; allowed: ${allow.join(', ')}`);
  };
}
