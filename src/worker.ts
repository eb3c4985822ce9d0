import { jobRegistry, type Job } from './jobs.js';
import type { Services } from './services.js';

export interface Worker {
  /** Starts no new runs and resolves when the runs in flight have finished (a send is never cut in half). */
  stop(): Promise<void>;
}

/**
 * Runs every registered job on its interval, one run of a job at a time. Jobs read time from the
 * injected clock; only the pacing between runs uses real timers.
 */
export function startWorker(services: Services): Worker {
  const { logger } = services;
  let stopping = false;
  const running = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];

  const runOnce = (job: Job) => {
    const run = (async () => {
      try {
        const result = await job.run();
        logger.debug({ job: job.name, result }, 'job finished');
      } catch (err) {
        logger.error({ err, job: job.name }, 'job failed; it runs again on its next turn');
      }
    })();
    running.add(run);
    return run.finally(() => running.delete(run));
  };

  for (const job of jobRegistry(services)) {
    const loop = async () => {
      if (stopping) return;
      await runOnce(job);
      if (!stopping) timers.push(setTimeout(loop, job.everyMs));
    };
    void loop();
  }
  logger.info({ jobs: jobRegistry(services).map((j) => j.name) }, 'worker started');

  return {
    async stop() {
      stopping = true;
      timers.forEach(clearTimeout);
      await Promise.all(running);
    },
  };
}
