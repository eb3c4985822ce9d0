import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { Outbox } from '../mail/outbox.js';
import { readerOf, renderEmail, type TemplateRenderer } from './email.js';
import { localMessage } from '../documents/format.js';
import type { ActionLinks } from './links.js';
import type { NotificationDoc, Notifications } from './notifications.js';
import type { PeopleLookup } from './people.js';

/**
 * How long a notification waits before a notice may report it, so one whose insert is still in flight
 * when a worker reads cannot turn up later as older than what that worker batched.
 */
const SETTLE_MS = 5_000;

/** Job send-review-notices: review requests, decisions, mentions and replies, sent as they happen. */
export class ReviewNotices {
  constructor(
    private readonly deps: {
      notifications: Notifications;
      outbox: Outbox;
      renderer: TemplateRenderer;
      people: PeopleLookup;
      links: ActionLinks;
      clock: Clock;
      config: Config;
    },
  ) {}

  /**
   * One email per recipient with everything pending for them. The dedupe key names the oldest
   * notification it reports, which every worker that sees that notification unreported picks too, so
   * one message wins; like the digest, notifications are marked from the stored message's refs, and
   * what a winner left out (raised meanwhile) goes in a message of its own.
   */
  async send(): Promise<{ notices: number }> {
    const { notifications, outbox, renderer, people, clock, config } = this.deps;
    const now = clock.now();
    let notices = 0;
    for (const [recipient, pending] of await notifications.pending(new Date(now.getTime() - SETTLE_MS), 'prompt')) {
      let rest = pending;
      while (rest.length) {
        const key = `notices:${recipient}:${String(rest[0]!._id)}`;
        let reported = await outbox.refsOf(key);
        if (!reported) {
          const reader = await readerOf(people, config, recipient);
          const email = renderEmail(renderer, 'review-notices', await this.noticeData(recipient, rest, reader.locale), reader);
          const refs = rest.map((n) => String(n._id));
          // Another worker may have written this notice first: then its refs are the ones reported.
          if (await outbox.enqueue({ dedupeKey: key, kind: 'review-notices', to: recipient, ...email, refs })) {
            notices++;
            reported = refs;
          } else reported = (await outbox.refsOf(key)) ?? [];
        }
        await notifications.markReported(reported.map((id) => ({ id, key })), pending);
        rest = rest.slice(1).filter((n) => !reported.includes(String(n._id)));
      }
    }
    return { notices };
  }

  private async noticeData(recipient: string, pending: NotificationDoc[], locale: string) {
    // A review or comment entry is said in the recipient's language; older entries keep their stored text.
    const textOf = (n: NotificationDoc) => localMessage({ message: n.text ?? '', said: n.said }, locale);
    const items = (kind: string) => pending.filter((n) => n.kind === kind).map((n) => ({ text: textOf(n), url: n.url, note: n.note, at: n.createdAt.toISOString() }));
    // An action given to the recipient comes with the digest's one-click links, made for them.
    const link = (key: string, op: 'done' | 'snooze' | 'due') => this.deps.links.url(key, recipient, op);
    const assigned = await Promise.all(
      pending
        .filter((n) => n.kind === 'assigned' && n.actionKey)
        .map(async (n) => ({ text: textOf(n), url: n.url, at: n.createdAt.toISOString(), links: { done: await link(n.actionKey!, 'done'), snooze: await link(n.actionKey!, 'snooze'), due: await link(n.actionKey!, 'due') } })),
    );
    return {
      recipient,
      count: pending.length,
      first: { text: pending[0] ? textOf(pending[0]) : '' },
      assigned,
      reviewRequests: items('review_requested'),
      decisions: items('review_decision'),
      mentions: items('mention'),
      replies: items('reply'),
    };
  }
}
