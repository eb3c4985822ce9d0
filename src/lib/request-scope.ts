import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What one request has already done, so it does not do it twice: which read models it brought up to
 * date since its own last write. Another writer's change that lands mid-request need not show in
 * it (a request reads one moment), but the request's own writes must.
 */
interface Scope {
  fresh: Set<object>;
  /** When the request arrived or last wrote (performance.now()): a catch-up started since then shows it all it must see. */
  since: number;
  /** Set once the request is answered (or the job run is over): nothing it writes is under way any more. */
  ended: boolean;
}

const storage = new AsyncLocalStorage<Scope>();

/**
 * Runs `fn` (the rest of a request's handling, or one run of a job) in a scope of its own, which ends
 * when `res` closes (a request) or when what `fn` returns settles (a job).
 */
export function inRequestScope<T>(fn: () => T, res?: { once(event: 'close', listener: () => void): unknown }): T {
  const scope: Scope = { fresh: new Set(), since: performance.now(), ended: false };
  const end = () => {
    scope.ended = true;
  };
  if (res) res.once('close', end);
  const out = storage.run(scope, fn);
  if (!res) Promise.resolve(out).then(end, end);
  return out;
}

/** The request (or job run) under way here, to tell later whether it has ended; undefined outside one. */
export function currentScope(): { readonly ended: boolean } | undefined {
  return storage.getStore();
}

/** When the current request arrived or last wrote; undefined outside a request. */
export function requestSince(): number | undefined {
  return storage.getStore()?.since;
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
  const scope = storage.getStore();
  if (!scope) return;
  scope.fresh.clear();
  scope.since = performance.now();
}
