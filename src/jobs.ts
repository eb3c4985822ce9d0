import type { Services } from './services.js';

/** A named job the worker runs every `everyMs`; each is idempotent, so overlapping runs and several workers are safe. */
export interface Job {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

const MINUTE = 60_000;

export function jobRegistry(s: Services): Job[] {
  return [
    { name: 'send-due-reminders', everyMs: 15 * MINUTE, run: () => s.reminders.raiseDue() },
    { name: 'send-digests', everyMs: 5 * MINUTE, run: () => s.reminders.sendDigests() },
    { name: 'send-review-notices', everyMs: MINUTE, run: () => s.reviewNotices.send() },
    { name: 'deliver-outbox', everyMs: 0.5 * MINUTE, run: () => s.outbox.deliver() },
  ];
}

export function findJob(s: Services, name: string): Job | undefined {
  return jobRegistry(s).find((j) => j.name === name);
}
