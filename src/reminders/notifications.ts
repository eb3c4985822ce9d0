import { Schema, Types, type Connection, type Model } from 'mongoose';
import { deleteByIds, insertNew, modelOn } from '../lib/db.js';
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
 * Kept as the record of what was said; no run reads it, since a reported notification leaves the queue.
 */
export interface NotificationReportDoc {
  _id: string;
  digestKey: string;
  at: Date;
}

/** What a notification says, stored alike in the record of every one raised and in the queue of those pending. */
const notificationFields = {
  recipient: { type: String, required: true },
  kind: { type: String, required: true },
  actionKey: String,
  text: String,
  said: { type: Schema.Types.Mixed },
  url: String,
  note: String,
  dueAt: { type: Date, required: true },
  createdAt: { type: Date, required: true },
};

// No index but the key's: nothing reads the record by any other field (the queue is read for what is pending).
const notificationSchema = new Schema<NotificationDoc>({ key: { type: String, required: true, unique: true }, ...notificationFields }, { versionKey: false });

/**
 * A notification not yet reported: the queue the digests and notices read whole, keyed by the
 * notification's key. It holds what is outstanding, not every notification ever raised, because the
 * store answers only `_id` from an index: reading the notifications for the pending ones scanned their
 * whole history every minute.
 */
export type QueuedNotificationDoc = Omit<NotificationDoc, '_id'> & { _id: string; notification: Types.ObjectId };

const queueSchema = new Schema<QueuedNotificationDoc>(
  { _id: { type: String, required: true }, notification: { type: Schema.Types.ObjectId, required: true }, key: { type: String, required: true }, ...notificationFields },
  { versionKey: false },
);

const reportSchema = new Schema<NotificationReportDoc>(
  { _id: { type: String, required: true }, digestKey: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false },
);

export type NotificationModel = Model<NotificationDoc>;
export type NotificationReportModel = Model<NotificationReportDoc>;
export type NotificationQueueModel = Model<QueuedNotificationDoc>;

export function notificationModels(conn: Connection): { notifications: NotificationModel; notificationReports: NotificationReportModel; notificationQueue: NotificationQueueModel } {
  return {
    notifications: modelOn<NotificationDoc>(conn, 'Notification', notificationSchema),
    notificationReports: modelOn<NotificationReportDoc>(conn, 'NotificationReport', reportSchema),
    notificationQueue: modelOn<QueuedNotificationDoc>(conn, 'QueuedNotification', queueSchema, 'notificationqueue'),
  };
}

/** The queue's entry for a notification as stored. */
export function queued(n: NotificationDoc): QueuedNotificationDoc {
  const { _id, ...rest } = n;
  return { ...rest, _id: n.key, notification: _id };
}

/** Kinds sent promptly by send-review-notices (an action given to someone among them); every other kind (the reminders) waits for the digest. */
export const PROMPT_KINDS: readonly string[] = ['review_requested', 'review_decision', 'mention', 'reply', 'assigned'];

export type NewNotification = Omit<NotificationDoc, '_id' | 'createdAt' | 'dueAt'> & { dueAt?: Date };

/**
 * Notifications are written twice: to the queue (pending, keyed by key) and to `notifications` (every one
 * raised, its key unique, so a reminder raised again by a later run's look-back is known). The queue entry
 * goes first: a process stopped between the two writes leaves it queued, and the next raise of that key
 * writes the record. A key found in the record but new in the queue was reported before, and leaves the
 * queue again. Reporting takes the entry off the queue, then records the report.
 */
export class Notifications {
  constructor(private readonly deps: { notifications: NotificationModel; reports: NotificationReportModel; queue: NotificationQueueModel; clock: { now(): Date } }) {}

  /** Adds one to be reported; false when one with the same key exists. Other features call this (reviews). */
  async add(n: NewNotification): Promise<boolean> {
    return (await this.addMany([n])) === 1;
  }

  /** Adds many in two commands (a sweep raises thousands); returns how many were new. */
  async addMany(list: NewNotification[]): Promise<number> {
    const now = this.deps.clock.now();
    const docs: NotificationDoc[] = list.map((n) => ({ ...n, _id: new Types.ObjectId(), recipient: n.recipient.toLowerCase(), dueAt: n.dueAt ?? now, createdAt: now }));
    const inQueue = await insertNew(this.deps.queue, docs.map(queued));
    const inRecord = await insertNew(this.deps.notifications, docs);
    const reportedBefore = docs.filter((d, i) => inQueue[i] && !inRecord[i]).map((d) => d.key);
    await deleteByIds(this.deps.queue, reportedBefore);
    return inRecord.filter(Boolean).length;
  }

  /** Not yet reported and due by `until`, of the digest's kinds or the prompt ones, oldest first, grouped by recipient. */
  async pending(until: Date, which: 'digest' | 'prompt'): Promise<Map<string, NotificationDoc[]>> {
    const kind = which === 'prompt' ? { $in: PROMPT_KINDS } : { $nin: PROMPT_KINDS };
    // Read whole (a morning's reminders are tens of thousands at 100,000 incidents): in large batches, fewer round trips.
    const docs = await this.deps.queue.find({ dueAt: { $lte: until }, kind }).batchSize(5000).lean<QueuedNotificationDoc[]>();
    docs.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || String(a.notification).localeCompare(String(b.notification)));
    const byRecipient = new Map<string, NotificationDoc[]>();
    for (const { notification, ...d } of docs) getOr(byRecipient, d.recipient, () => []).push({ ...d, _id: notification });
    return byRecipient;
  }

  /**
   * Marks notifications reported by the message with dedupe key `key`: off the queue, and recorded in one
   * insert meanwhile (a notification reported already keeps its first report). The message holds the
   * notifications it reports (its refs), so a process stopped on the way has lost only the record. Those among
   * `read` (what this run read as pending) leave the queue by its `_id` (their key); the store matches a
   * list of other values against every queued entry, so only the rest (reported by another worker's
   * message, raised after this run read the queue) are looked for by their notification's id.
   */
  async markReported(marks: { id: string; key: string }[], read: Iterable<NotificationDoc>): Promise<void> {
    if (!marks.length) return;
    const at = this.deps.clock.now();
    const queueKeys = new Map<string, string>();
    for (const n of read) queueKeys.set(String(n._id), n.key);
    const known = marks.flatMap((m) => queueKeys.get(m.id) ?? []);
    const others = marks.filter((m) => !queueKeys.has(m.id)).map((m) => new Types.ObjectId(m.id));
    // The record is not read by any run (the message's refs are what counts), so it is written meanwhile.
    const recorded = insertNew(this.deps.reports, marks.map(({ id, key }) => ({ _id: id, digestKey: key, at })));
    try {
      await deleteByIds(this.deps.queue, known);
      if (others.length) await this.deps.queue.deleteMany({ notification: { $in: others } });
    } finally {
      await recorded;
    }
  }
}
