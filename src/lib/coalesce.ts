/**
 * Wraps a catch-up (read what others wrote since last time) for callers who each need one that started
 * at or after a moment of their own (`since`, performance.now(); the moment of the call when not given).
 * A caller reuses the last finished catch-up or joins the one in flight when it started late enough,
 * and otherwise waits for the next one, which every caller arriving meanwhile shares. Under load that
 * is at most one read per burst instead of one per caller.
 */
export function coalesced<T>(run: () => Promise<T>): (since?: number) => Promise<T> {
  let last: { started: number; value: T } | undefined;
  let running: { started: number; promise: Promise<T> } | undefined;
  let queued: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const started = performance.now();
    const promise = run()
      .then((value) => {
        last = { started, value };
        return value;
      })
      .finally(() => {
        if (running?.promise === promise) running = undefined;
      });
    running = { started, promise };
    return promise;
  };
  return (since = performance.now()) => {
    if (last && last.started >= since) return Promise.resolve(last.value);
    if (running && running.started >= since) return running.promise;
    if (!running) return start();
    queued ??= running.promise
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start();
      });
    return queued;
  };
}
