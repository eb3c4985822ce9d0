import { inRequestScope } from './lib/request-scope.js';
import type { Services } from './services.js';

/** A named job the worker runs every `everyMs`; each is idempotent, so overlapping runs and several workers are safe. */
export interface Job {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A process that has not read the feed for this long loads everything again (src/lib/mirror.ts checks after an hour). */
const FEED_RETENTION_MS = 24 * HOUR;

export function jobRegistry(s: Services): Job[] {
  return jobs(s).map((job) => ({
    ...job,
    // A run reads the read model once, as a request does, unless it writes (src/lib/request-scope.ts).
    run: () => inRequestScope(() => job.run()),
  }));
}

function jobs(s: Services): Job[] {
  return [
    { name: 'send-due-reminders', everyMs: 15 * MINUTE, run: () => s.reminders.raiseDue() },
    { name: 'send-digests', everyMs: 5 * MINUTE, run: () => s.reminders.sendDigests() },
    { name: 'send-review-notices', everyMs: MINUTE, run: () => s.reviewNotices.send() },
    { name: 'post-chat-overdue-summaries', everyMs: 15 * MINUTE, run: () => s.chatEvents.overdueSummaries() },
    { name: 'deliver-outbox', everyMs: 0.5 * MINUTE, run: () => s.outbox.deliver() },
    { name: 'repair-read-model', everyMs: HOUR, run: () => repairReadModel(s) },
    { name: 'prune', everyMs: HOUR, run: () => prune(s) },
  ];
}

/**
 * Finds records whose stored state the read model does not show (a writer stopped between a write and
 * its announcement) and announces them, so every process reloads them. It reads whole collections,
 * which only this job does.
 */
async function repairReadModel(s: Services): Promise<{ announced: number }> {
  const drift = await s.mirror.drift();
  // A few hundred records to an entry keeps each one small.
  for (let i = 0; i < drift.length; i += 500) await s.feed.appendAll(drift.slice(i, i + 500));
  if (drift.length) s.logger.warn({ drift: drift.slice(0, 20), count: drift.length }, 'read model drift repaired');
  return { announced: drift.length };
}

/** Keeps the collections that grow with time but are only needed for a while small: the feed, expired sign-ins. */
async function prune(s: Services): Promise<{ feedEntries: number; credentials: number; chatSlots: number }> {
  const [{ deleted: feedEntries }, { deleted: credentials }] = [await s.feed.prune(FEED_RETENTION_MS), await s.users.pruneCredentials()];
  // Send slots matter only within their rate window (a second or a minute): an hour on, nobody reads them.
  const { deletedCount: chatSlots } = await s.models.channelSlots.deleteMany({ at: { $lt: new Date(s.clock.now().getTime() - HOUR) } });
  return { feedEntries, credentials, chatSlots };
}

export function findJob(s: Services, name: string): Job | undefined {
  return jobRegistry(s).find((j) => j.name === name);
}
