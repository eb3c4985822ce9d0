import { AsyncResource } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import { hasBody } from 'type-is';
import { HttpError } from './errors.js';
import { RETRY_AFTER_SECONDS } from './availability.js';

/** 503: more requests are waiting than the server takes in; the client retries later. */
export class Busy extends HttpError {
  constructor() {
    super(503, 'busy', `The server has too many requests waiting; retry in ${RETRY_AFTER_SECONDS} s`);
  }
}

/** A read waiting longer than this goes before the writes that came after it, so that writes cannot hold reads back for good. */
const READ_PATIENCE_MS = 1_000;

/**
 * Works on at most `limit` requests at once; the others wait their turn, and beyond `queueLimit` waiting
 * a request is refused at once (503, Retry-After). `waiting` tells how many wait. Writes (anything but
 * GET and HEAD) go first, each kind first come first served, unless the oldest read has waited a second
 * and longer than the oldest write (so neither kind waits for good under overload): a write
 * is what a person waits on after pressing a button, it holds its place through several round trips to
 * the store, and writes are few (under the bench's mixed load, 10% of requests; it cut the p99 by about
 * a tenth in alternated runs).
 *
 * Why: every request runs on the one Node thread. With twenty under way, each database round trip of a
 * write waits behind the other nineteen requests' work, so a write of six round trips takes six turns of
 * the whole crowd (the mixed load's slowest requests). Taking in a few at a time keeps the thread as
 * busy, and a request's turns are short once it is in: waiting is spread evenly instead of piling up on
 * the requests that talk to the database most.
 *
 * Mount it before the routes and again after each body parser: a request whose body is still arriving
 * passes the first and is taken in after its parser has read it, so a slow upload holds no place.
 */
export function admission(limit: number, queueLimit: number, now: () => number = () => performance.now()): RequestHandler & { readonly waiting: number } {
  let active = 0;
  // Each kind in arrival order, with when each arrived.
  const writes = new Map<() => void, number>();
  const reads = new Map<() => void, number>();
  const release = () => {
    const read = reads.entries().next().value;
    const write = writes.entries().next().value;
    const readFirst = !!read && (!write || (now() - read[1] > READ_PATIENCE_MS && read[1] < write[1]));
    const next = readFirst ? read[0] : write?.[0];
    if (!next) {
      active--;
      return;
    }
    (readFirst ? reads : writes).delete(next);
    next();
  };
  const handler: RequestHandler = (req, res, next) => {
    if (res.locals.admitted || (hasBody(req) && !req.complete)) return next();
    res.locals.admitted = true;
    // The slot is given back when the response ends or the client goes away, whichever comes first.
    const admit = () => {
      // Gone while its body arrived or while it waited: nothing to answer, the place goes to the next.
      if (req.socket.destroyed) return release();
      res.once('close', release);
      next();
    };
    if (active < limit) {
      active++;
      return admit();
    }
    if (writes.size + reads.size >= queueLimit) return next(new Busy());
    // Run later from another request's end: bound to this request's own async context (its request scope).
    const admitLater = AsyncResource.bind(admit);
    const queue = req.method === 'GET' || req.method === 'HEAD' ? reads : writes;
    queue.set(admitLater, now());
    // A client that leaves while waiting gives up its place.
    res.once('close', () => queue.delete(admitLater));
  };
  return Object.defineProperty(handler, 'waiting', { get: () => writes.size + reads.size }) as RequestHandler & { readonly waiting: number };
}
