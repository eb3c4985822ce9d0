import type { RequestHandler } from 'express';
import { HttpError } from './errors.js';

/** What a client is told to wait while the embedded store restarts (it is back within a few seconds). */
export const RETRY_AFTER_SECONDS = 5;

export class Unavailable extends HttpError {
  constructor() {
    super(503, 'unavailable', `The database is not answering (it is being restarted); retry in ${RETRY_AFTER_SECONDS} s`);
  }
}

/** While the store is known to be down, every request that would need it is a 503 at once (pages get a friendly page). */
export function whileStoreDown(available: () => boolean): RequestHandler {
  return (_req, _res, next) => next(available() ? undefined : new Unavailable());
}
