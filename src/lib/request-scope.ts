import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What one request has already done, so it does not do it twice: which read models it brought up to
 * date since its own last write. Another writer's change that lands mid-request need not show in
 * it (a request reads one moment), but the request's own writes must.
 */
interface Scope {
  fresh: Set<object>;
}

const storage = new AsyncLocalStorage<Scope>();

/** Runs `fn` (the rest of a request's handling, or one run of a job) in a scope of its own. */
export function inRequestScope<T>(fn: () => T): T {
  return storage.run({ fresh: new Set() }, fn);
}

/** True when the current request brought `model` up to date after its last write. */
export function freshInRequest(model: object): boolean {
  return storage.getStore()?.fresh.has(model) ?? false;
}

export function markFresh(model: object): void {
  storage.getStore()?.fresh.add(model);
}

/** The request wrote: what it read before is not fresh any more. */
export function markWritten(): void {
  storage.getStore()?.fresh.clear();
}
