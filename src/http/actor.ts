import type { Request } from 'express';
import type { Actor } from '../incidents/service.js';

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

/** Who is making the request; until sign-in exists every request acts as "anonymous". */
export function actorOf(req: Request): Actor {
  return req.actor ?? { email: 'anonymous' };
}
