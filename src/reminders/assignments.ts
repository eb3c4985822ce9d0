import type { ActionsService } from '../actions/service.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { Notifications } from './notifications.js';

/**
 * A person given an action hears of it: an `assigned` notification goes out with the review notices
 * (within a minute, with the one-click links), and when the action is already overdue an `overdue`
 * reminder joins their next digest instead of waiting for the policy's next overdue day.
 * Giving oneself an action says nothing.
 */
export class Assignments {
  constructor(private readonly deps: { notifications: Notifications; actions: () => ActionsService; clock: Clock; config: Config }) {}

  async notify(actionKey: string, by: { email: string; name?: string }): Promise<void> {
    const name = by.name ?? by.email;
    const action = await this.deps.actions().get(actionKey);
    if (!action.owner || action.owner === by.email) return;
    const now = this.deps.clock.now();
    await this.deps.notifications.add({
      key: `assigned:${action.key}:${action.owner}:${action.version}`,
      recipient: action.owner,
      kind: 'assigned',
      actionKey: action.key,
      text: `${name} gave you ${action.key} ${action.title}`,
      // Said in the owner's language when the notice is written (src/reminders/notices.ts).
      said: { id: 'noticeAssigned', params: { name, key: action.key, title: action.title } },
      url: `${this.deps.config.BASE_URL}/incidents/${action.incidentKey}#${action.key}`,
    });
    if (action.overdue) {
      const day = now.toISOString().slice(0, 10);
      await this.deps.notifications.add({ key: `reminder:${action.key}:overdue:assigned-${day}:${action.owner}`, recipient: action.owner, kind: 'overdue', actionKey: action.key });
    }
  }
}
