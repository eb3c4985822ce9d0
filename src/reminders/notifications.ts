import { Schema, Types, type Connection, type Model } from 'mongoose';
import { insertNew, isDuplicateKey } from '../lib/db.js';

/**
 * Things a person should hear about: reminders the policy raised, reported in their next digest, and
 * entries reviews append (PROMPT_KINDS), sent within a minute by send-review-notices. Independent of
 * the outbox: a notification is a reason to write, the digest or notice that reports it is the message.
 */
export interface NotificationDoc {
  _id: Types.ObjectId;
  /** Unique, so raising the same reminder twice keeps one, e.g. reminder:INC-2023-0002-A1:overdue:2023-03-20:a@x. */
  key: string;
  recipient: string;
  kind: string;
  actionKey?: string;
  /** For entries without an action (mentions): what to show and where it points. */
  text?: string;
  url?: string;
  /** Not reported before this instant (the start of the reminder's day in the action's time zone). */
  dueAt: Date;
  /** The dedupe key of the digest or notice that reported it, once one did. */
  digestKey?: string;
  createdAt: Date;
}

const notificationSchema = new Schema<NotificationDoc>(
  {
    key: { type: String, required: true, unique: true },
    recipient: { type: String, required: true },
    kind: { type: String, required: true },
    actionKey: String,
    text: String,
    url: String,
    dueAt: { type: Date, required: true },
    digestKey: String,
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
notificationSchema.index({ recipient: 1, digestKey: 1, dueAt: 1 });

export type NotificationModel = Model<NotificationDoc>;

export function notificationModel(conn: Connection): NotificationModel {
  return (conn.models.Notification as NotificationModel | undefined) ?? conn.model<NotificationDoc>('Notification', notificationSchema);
}

/** Kinds sent promptly by send-review-notices (an action given to someone among them); every other kind (the reminders) waits for the digest. */
export const PROMPT_KINDS: readonly string[] = ['review_requested', 'review_decision', 'mention', 'reply', 'assigned'];

export type NewNotification = Omit<NotificationDoc, '_id' | 'digestKey' | 'createdAt' | 'dueAt'> & { dueAt?: Date };

export class Notifications {
  constructor(private readonly deps: { notifications: NotificationModel; clock: { now(): Date } }) {}

  /** Adds one to be reported; false when one with the same key exists. Other features call this (reviews). */
  async add(n: NewNotification): Promise<boolean> {
    const now = this.deps.clock.now();
    try {
      await this.deps.notifications.create({ ...n, recipient: n.recipient.toLowerCase(), dueAt: n.dueAt ?? now, createdAt: now });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** Adds many in one command (a sweep raises thousands); returns how many were new. */
  async addMany(list: NewNotification[]): Promise<number> {
    const now = this.deps.clock.now();
    const written = await insertNew(
      this.deps.notifications,
      list.map((n) => ({ ...n, _id: new Types.ObjectId(), recipient: n.recipient.toLowerCase(), dueAt: n.dueAt ?? now, createdAt: now })),
    );
    return written.filter(Boolean).length;
  }

  /** Not yet reported and due by `until`, of the digest's kinds or the prompt ones, oldest first, grouped by recipient. */
  async pending(until: Date, which: 'digest' | 'prompt'): Promise<Map<string, NotificationDoc[]>> {
    const kind = which === 'prompt' ? { $in: PROMPT_KINDS } : { $nin: PROMPT_KINDS };
    const docs = await this.deps.notifications
      .find({ digestKey: null, dueAt: { $lte: until }, kind })
      .sort({ dueAt: 1, _id: 1 })
      .lean<NotificationDoc[]>();
    const byRecipient = new Map<string, NotificationDoc[]>();
    for (const d of docs) byRecipient.set(d.recipient, [...(byRecipient.get(d.recipient) ?? []), d]);
    return byRecipient;
  }

  /** Marks as reported; only ones still unreported, so a repeat changes nothing. One _id write each (FerretDB scans for `$in`). */
  async markReported(ids: string[], digestKey: string): Promise<void> {
    await Promise.all(ids.map((_id) => this.deps.notifications.updateOne({ _id, digestKey: null }, { $set: { digestKey } })));
  }
}
