import type { Request } from 'express';
import { Unauthorized } from './errors.js';
import type { Role } from '../users/permissions.js';

/** The signed-in person a request acts for. */
export interface Actor {
  id: string;
  email: string;
  name: string;
  role: Role;
  timezone: string;
  locale: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

/** The request's actor; API routes run only after authentication set it. */
export function actorOf(req: Request): Actor {
  if (!req.actor) throw new Unauthorized();
  return req.actor;
}

/** Changes made by Debrief itself (demo data, jobs) are recorded under this actor. */
export const SYSTEM_ACTOR: Actor = {
  id: 'system',
  email: 'system@debrief.local',
  name: 'Debrief',
  role: 'admin',
  timezone: 'UTC',
  locale: 'en',
};
