import { Schema, Types, type Connection, type Model } from 'mongoose';
import { insertNew, isDuplicateKey, modelOn } from '../lib/db.js';
import { getOr } from '../lib/maps.js';
import type { Said } from '../lib/errors.js';

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
  /** The same text by its `said.<id>` ui string and values, so each recipient reads it in their own language. */
  said?: Said;
  url?: string;
  /** A person's own words that come with the entry (the note to reviewers, a decision's note), quoted as typed. */
  note?: string;
  /** Not reported before this instant (the start of the reminder's day in the action's time zone). */
  dueAt: Date;
  createdAt: Date;
}

/**
 * That a notification was reported, and by which digest or notice (its dedupe key): a document of its
 * own, keyed by the notification's _id, rather than a field set on the notification, so that a digest
 * run marks thousands with one insert where FerretDB takes a command for each document it updates.
 */
export interface NotificationReportDoc {
  _id: string;
  digestKey: string;
  at: Date;
}

const notificationSchema = new Schema<NotificationDoc>(
  {
    key: { type: String, required: true, unique: true },
    recipient: { type: String, required: true },
    kind: { type: String, required: true },
    actionKey: String,
    text: String,
    said: { type: Schema.Types.Mixed },
    url: String,
    note: String,
    dueAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
notificationSchema.index({ dueAt: 1 });

const reportSchema = new Schema<NotificationReportDoc>(
  { _id: { type: String, required: true }, digestKey: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false },
);

export type NotificationModel = Model<NotificationDoc>;
export type NotificationReportModel = Model<NotificationReportDoc>;

export function notificationModels(conn: Connection): { notifications: NotificationModel; notificationReports: NotificationReportModel } {
  return {
    notifications: modelOn<NotificationDoc>(conn, 'Notification', notificationSchema),
    notificationReports: modelOn<NotificationReportDoc>(conn, 'NotificationReport', reportSchema),
  };
}

/** Kinds sent promptly by send-review-notices (an action given to someone among them); every other kind (the reminders) waits for the digest. */
export const PROMPT_KINDS: readonly string[] = ['review_requested', 'review_decision', 'mention', 'reply', 'assigned'];

export type NewNotification = Omit<NotificationDoc, '_id' | 'createdAt' | 'dueAt'> & { dueAt?: Date };

export class Notifications {
  constructor(private readonly deps: { notifications: NotificationModel; reports: NotificationReportModel; clock: { now(): Date } }) {}

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
    // Reports read first: one written after this read shows the notification as pending, which the
    // callers settle through the reporting message's refs; the other order could skip one not yet reported.
    const reported = new Set((await this.deps.reports.find({}, { _id: 1 }).lean<{ _id: string }[]>()).map((r) => r._id));
    const docs = await this.deps.notifications
      .find({ dueAt: { $lte: until }, kind })
      .sort({ dueAt: 1, _id: 1 })
      .lean<NotificationDoc[]>();
    const byRecipient = new Map<string, NotificationDoc[]>();
    for (const d of docs) if (!reported.has(String(d._id))) getOr(byRecipient, d.recipient, () => []).push(d);
    return byRecipient;
  }

  /** Marks notifications reported by the message with dedupe key `key`, in one insert; one reported already keeps its first report. */
  async markReported(marks: { id: string; key: string }[]): Promise<void> {
    const at = this.deps.clock.now();
    await insertNew(this.deps.reports, marks.map(({ id, key }) => ({ _id: id, digestKey: key, at })));
  }
}
