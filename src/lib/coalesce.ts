/**
 * Wraps a catch-up (read what others wrote since last time) for callers who each need one that started
 * after their call: a caller arriving while one is in flight waits for the next, which every caller
 * arriving meanwhile shares. Under load that is two reads per burst instead of one per caller.
 */
export function coalesced<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const start = (): Promise<T> => {
    if (!running) {
      running = run().finally(() => (running = undefined));
      return running;
    }
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start();
      });
    return queued;
  };
  return start;
}
