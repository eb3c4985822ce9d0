// Over 400 lines on purpose: enqueue, claim, send and retry of one collection, whose claim rules are read best together.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Schema, Types, type Connection, type Model } from 'mongoose';
import type { Clock } from '../lib/clock.js';
import { coalesced } from '../lib/coalesce.js';
import { requestSince } from '../lib/request-scope.js';
import type { Config } from '../lib/config.js';
import { findByIds, insertNew, isDuplicateKey, modelOn } from '../lib/db.js';
import { pageOf } from '../lib/listing.js';
import type { Logger } from '../lib/logger.js';
import { Sequence } from '../lib/sequence.js';
import type { Mailer } from './mailer.js';

export const OUTBOX_STATUSES = ['pending', 'sent', 'failed', 'unsent'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
const NO_SMTP = 'not sent: no SMTP';
const MAX_BACKOFF_MS = 6 * 3600_000;

/** A message as written before any send: the outbox is the durable record of everything we meant to send. */
export interface OutboxDoc {
  _id: Types.ObjectId;
  /** Unique: enqueueing the same reminder or digest twice keeps one message. */
  dedupeKey: string;
  kind: string;
  /** How it goes out: absent for email; `chat` for a chat channel (`to` is then the channel's id). */
  transport?: 'chat';
  /** A chat message's body as its platform takes it (JSON), signed only when sent. */
  payload?: string;
  /** A chat reply's own address (Slack's response_url), sealed: it goes there instead of the channel's. */
  sealedReplyUrl?: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Ids of the records this message reports (a digest's notifications), so a sender can reconcile after a crash. */
  refs?: string[];
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError?: string;
  sentAt?: Date;
  createdAt: Date;
}

/**
 * One attempt at sending one message, owned by the worker whose insert won (unique on message and
 * attempt). FerretDB's conditional updates are not atomic across writers, so the claim, not a status
 * flip, decides who sends; the outcome is written on the claim first and copied to the message,
 * so anyone can finish the bookkeeping of a worker that stopped after sending.
 */
interface ClaimDoc {
  /** "<message id>:<attempt>" (claimId), so a claim is read and written by _id. */
  _id: string;
  messageId: Types.ObjectId;
  attempt: number;
  worker: string;
  leaseUntil: Date;
  outcome?: 'sent' | 'failed';
  error?: string;
  /** The receiver asked to wait this long before the next attempt (a rate limit). */
  retryAfterMs?: number;
  finishedAt?: Date;
}

const outboxSchema = new Schema<OutboxDoc>(
  {
    dedupeKey: { type: String, required: true, unique: true },
    kind: { type: String, required: true },
    transport: { type: String, enum: ['chat'] },
    payload: String,
    sealedReplyUrl: String,
    to: { type: String, required: true },
    subject: { type: String, required: true },
    html: { type: String, required: true },
    text: { type: String, required: true },
    refs: { type: [String], default: undefined },
    status: { type: String, enum: OUTBOX_STATUSES, required: true },
    attempts: { type: Number, required: true },
    nextAttemptAt: { type: Date, required: true },
    lastError: String,
    sentAt: Date,
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'outbox' },
);
outboxSchema.index({ status: 1, nextAttemptAt: 1 });

const claimSchema = new Schema<ClaimDoc>(
  {
    _id: { type: String, required: true },
    messageId: { type: Schema.Types.ObjectId, required: true },
    attempt: { type: Number, required: true },
    worker: { type: String, required: true },
    leaseUntil: { type: Date, required: true },
    outcome: { type: String, enum: ['sent', 'failed'] },
    error: String,
    retryAfterMs: Number,
    finishedAt: Date,
  },
  { versionKey: false, collection: 'outbox_claims' },
);

/**
 * A message's _id is derived from its dedupe key, so "was this sent already?" is an _id read (FerretDB
 * scans for any other filter), and two enqueues of one key collide on the _id as on the key.
 */
export const messageIdOf = (dedupeKey: string) => new Types.ObjectId(createHash('sha256').update(dedupeKey).digest('hex').slice(0, 24));
const claimId = (messageId: Types.ObjectId, attempt: number) => `${String(messageId)}:${attempt}`;

export type OutboxModel = Model<OutboxDoc>;
export type ClaimModel = Model<ClaimDoc>;

/** `_id: "counts"`: messages by status, as the last delivery run counted them (what /readyz reports). */
interface StatsDoc {
  _id: string;
  pending: number;
  failed: number;
  unsent: number;
  at: Date;
}
const statsSchema = new Schema<StatsDoc>(
  { _id: { type: String, required: true }, pending: Number, failed: Number, unsent: Number, at: Date },
  { versionKey: false, collection: 'outbox_stats' },
);

/** "These messages were written or changed", numbered (a Sequence, src/lib/sequence.ts): what the outbox list catches up from. */
interface ChangedDoc {
  _id: string;
  ids: string[];
  at: Date;
}
const changedSchema = new Schema<ChangedDoc>(
  { _id: { type: String, required: true }, ids: { type: [String], required: true }, at: { type: Date, required: true } },
  { versionKey: false, collection: 'outbox_changes' },
);

export function outboxModels(conn: Connection): { outbox: OutboxModel; outboxClaims: ClaimModel; outboxStats: Model<StatsDoc>; outboxChanges: Model<ChangedDoc> } {
  return {
    outbox: modelOn<OutboxDoc>(conn, 'Outbox', outboxSchema),
    outboxClaims: modelOn<ClaimDoc>(conn, 'OutboxClaim', claimSchema),
    outboxStats: modelOn<StatsDoc>(conn, 'OutboxStats', statsSchema),
    outboxChanges: modelOn<ChangedDoc>(conn, 'OutboxChange', changedSchema),
  };
}

/** What the outbox list filters and orders on, for a message. */
type Listed = Pick<OutboxDoc, '_id' | 'to' | 'kind' | 'status' | 'createdAt'>;
const LISTED = { to: 1, kind: 1, status: 1, createdAt: 1 } as const;
const newestFirst = (a: Listed, b: Listed) => b.createdAt.getTime() - a.createdAt.getTime() || String(b._id).localeCompare(String(a._id));

export type NewMessage = Pick<OutboxDoc, 'dedupeKey' | 'kind' | 'to' | 'subject' | 'html' | 'text' | 'refs' | 'transport' | 'payload' | 'sealedReplyUrl'>;

/**
 * The chat side of delivery (src/channels/delivery.ts): the outbox claims, retries and records every
 * message alike, and asks this to pace and post the chat ones.
 */
export interface ChatDelivery {
  /** Takes a send slot in the message's channel; undefined when it may go now, else when the channel has room again. */
  pace(message: OutboxDoc, now: Date): Promise<Date | undefined>;
  /** Posts it; throws when the platform did not take it (an error with `retryAfterMs` when it said to slow down). */
  send(message: OutboxDoc): Promise<void>;
}

export interface DeliveryReport {
  sent: number;
  retrying: number;
  failed: number;
  unsent: number;
  /** Messages kept as unsent while there was no SMTP, queued again now that there is. */
  requeued: number;
  /** Messages another worker was already sending. */
  skipped: number;
  /** Chat messages waiting for room in their channel's rate limit. */
  deferred: number;
}

export class Outbox {
  /** Identifies this process's claims in the database, for operators reading them. */
  private readonly worker = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Every write to the outbox is followed by one of these, naming the messages written. */
  private readonly changes: Sequence<ChangedDoc>;
  /** The list's index of every message: read whole on this process's first list, then caught up from `changes`. */
  private index: { messages: Map<string, Listed>; upTo: number; sorted?: Listed[] } | undefined;
  /** Catching up one at a time, shared by the lists that arrive meanwhile. */
  private readonly listed = coalesced(() => this.catchUp());

  constructor(
    private readonly deps: {
      models: ReturnType<typeof outboxModels>;
      mailer: Mailer | undefined;
      chat?: ChatDelivery;
      clock: Clock;
      config: Config;
      logger: Logger;
    },
  ) {
    this.changes = new Sequence<ChangedDoc>({ model: deps.models.outboxChanges, floor: async () => 0, name: 'outbox changes' });
  }

  /** Says which messages were just written or changed, for the lists of every process. */
  private async changed(ids: unknown[]): Promise<void> {
    if (ids.length) await this.changes.append((_id) => ({ _id, ids: ids.map(String), at: this.deps.clock.now() }));
  }

  /** Writes a message to send; returns false (changing nothing) when its dedupe key is already there. */
  async enqueue(m: NewMessage): Promise<boolean> {
    const now = this.deps.clock.now();
    try {
      await this.deps.models.outbox.create({ ...m, _id: messageIdOf(m.dedupeKey), status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now });
      await this.changed([messageIdOf(m.dedupeKey)]);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /**
   * Writes many messages in one command; returns the dedupe keys written (a key already there is
   * skipped, changing nothing). A job that writes many at once (the digests) waits on one write, not one each.
   */
  async enqueueMany(messages: NewMessage[]): Promise<Set<string>> {
    if (!messages.length) return new Set();
    const now = this.deps.clock.now();
    const written = await insertNew(
      this.deps.models.outbox,
      messages.map((m) => ({ ...m, _id: messageIdOf(m.dedupeKey), status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now })),
    );
    const keys = messages.filter((_, i) => written[i]).map((m) => m.dedupeKey);
    await this.changed(keys.map(messageIdOf));
    return new Set(keys);
  }

  /** The refs of the message with this dedupe key, or undefined when there is none. */
  async refsOf(dedupeKey: string): Promise<string[] | undefined> {
    return (await this.refsOfMany([dedupeKey])).get(dedupeKey);
  }

  /** The refs of the messages with these dedupe keys, by key; a key with no message is not in the map. */
  async refsOfMany(dedupeKeys: string[]): Promise<Map<string, string[]>> {
    const keyOf = new Map(dedupeKeys.map((key) => [String(messageIdOf(key)), key]));
    const docs = await findByIds<Pick<OutboxDoc, '_id' | 'refs'>>(this.deps.models.outbox, dedupeKeys.map(messageIdOf), 'refs');
    return new Map(docs.map((d) => [keyOf.get(String(d._id))!, d.refs ?? []]));
  }

  /** Sends every message that is due; safe to run on several workers at once. */
  async deliver(limit = 500): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, retrying: 0, failed: 0, unsent: 0, requeued: 0, skipped: 0, deferred: 0 };
    const now = this.deps.clock.now();
    // SMTP has been configured since these were kept: they go out now, each once (sending is claimed per attempt).
    if (this.deps.mailer) {
      const unsent = await this.deps.models.outbox.find({ status: 'unsent' }).select('_id').lean<{ _id: Types.ObjectId }[]>();
      const requeued = await this.deps.models.outbox.updateMany({ status: 'unsent' }, { $set: { status: 'pending', nextAttemptAt: now }, $unset: { lastError: 1 } });
      report.requeued = requeued.modifiedCount;
      await this.changed(unsent.map((m) => m._id));
    }
    const due = await this.deps.models.outbox
      .find({ status: 'pending', nextAttemptAt: { $lte: now } })
      .sort({ nextAttemptAt: 1, _id: 1 })
      .limit(limit)
      .lean<OutboxDoc[]>();
    for (const message of due) {
      const result = await this.attempt(message);
      report[result]++;
      // Named at once, so a worker that stops mid-run leaves no change unnamed but the one in hand.
      await this.changed([message._id]);
    }
    await this.recordCounts();
    return report;
  }

  /** Counts messages by status for /readyz: here in the job, since counting reads the whole outbox on FerretDB. */
  private async recordCounts(): Promise<void> {
    const { outbox, outboxStats } = this.deps.models;
    const count = (status: OutboxStatus) => outbox.countDocuments({ status });
    const [pending, failed, unsent] = await Promise.all([count('pending'), count('failed'), count('unsent')]);
    const update = { $set: { pending, failed, unsent, at: this.deps.clock.now() } };
    try {
      await outboxStats.updateOne({ _id: 'counts' }, update, { upsert: true });
    } catch (err) {
      // Two workers' first runs both created it: the document is there now.
      if (!isDuplicateKey(err)) throw err;
      await outboxStats.updateOne({ _id: 'counts' }, update);
    }
  }

  private async attempt(message: OutboxDoc): Promise<keyof DeliveryReport> {
    const { models, mailer, chat, clock, config } = this.deps;
    const isChat = message.transport === 'chat';
    if (!isChat && !mailer) {
      // Kept, not dropped: a local install reads what it would have sent at GET /api/v1/outbox.
      await models.outbox.updateOne({ _id: message._id, status: 'pending' }, { $set: { status: 'unsent', lastError: NO_SMTP } });
      return 'unsent';
    }
    const attempt = message.attempts + 1;
    const now = clock.now();
    if (isChat) {
      // Another worker holds this attempt: settle rather than take a send slot it would waste.
      if (await models.outboxClaims.exists({ _id: claimId(message._id, attempt) })) {
        await this.settle(message, attempt);
        return 'skipped';
      }
      const later = await chat!.pace(message, now);
      if (later) {
        await models.outbox.updateOne({ _id: message._id, status: 'pending', attempts: message.attempts }, { $set: { nextAttemptAt: later } });
        return 'deferred';
      }
    }
    try {
      await models.outboxClaims.create({
        _id: claimId(message._id, attempt),
        messageId: message._id,
        attempt,
        worker: this.worker,
        leaseUntil: new Date(now.getTime() + config.OUTBOX_LEASE_SECONDS * 1000),
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await this.settle(message, attempt);
      return 'skipped';
    }
    let error: string | undefined;
    let retryAfterMs: number | undefined;
    try {
      if (isChat) await chat!.send(message);
      else await mailer!.send({ to: message.to, subject: message.subject, html: message.html, text: message.text, messageId: `<${message._id}@debrief>` });
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      const wait = (err as { retryAfterMs?: unknown }).retryAfterMs;
      if (typeof wait === 'number') retryAfterMs = wait;
    }
    const claim = { outcome: error === undefined ? ('sent' as const) : ('failed' as const), finishedAt: clock.now(), ...(error ? { error } : {}), ...(retryAfterMs ? { retryAfterMs } : {}) };
    await models.outboxClaims.updateOne({ _id: claimId(message._id, attempt) }, { $set: claim });
    return this.apply(message, attempt, claim);
  }

  /**
   * Brings a message up to date with a claim someone else holds: copies a recorded outcome, or,
   * once the lease has run out with no outcome (the worker died mid-send), counts the attempt as failed.
   */
  private async settle(message: OutboxDoc, attempt: number): Promise<void> {
    const claim = await this.deps.models.outboxClaims.findById(claimId(message._id, attempt)).lean<ClaimDoc>();
    if (!claim) return;
    if (claim.outcome) {
      await this.apply(message, attempt, { outcome: claim.outcome, finishedAt: claim.finishedAt ?? claim.leaseUntil, ...(claim.error ? { error: claim.error } : {}), ...(claim.retryAfterMs ? { retryAfterMs: claim.retryAfterMs } : {}) });
    } else if (claim.leaseUntil <= this.deps.clock.now()) {
      await this.apply(message, attempt, { outcome: 'failed', finishedAt: claim.leaseUntil, error: `worker ${claim.worker} stopped mid-send` });
    }
  }

  /** Records an attempt's outcome on the message. The values depend only on the claim, so repeating it is harmless. */
  private async apply(
    message: OutboxDoc,
    attempt: number,
    claim: { outcome: 'sent' | 'failed'; finishedAt: Date; error?: string; retryAfterMs?: number },
  ): Promise<'sent' | 'retrying' | 'failed'> {
    const { models, config, logger } = this.deps;
    const filter = { _id: message._id, status: 'pending' as const, attempts: { $lt: attempt } };
    if (claim.outcome === 'sent') {
      await models.outbox.updateOne(filter, { $set: { status: 'sent', attempts: attempt, sentAt: claim.finishedAt }, $unset: { lastError: 1 } });
      return 'sent';
    }
    const failed = attempt >= config.OUTBOX_MAX_ATTEMPTS;
    // A rate limit's answer is waited out even when the back-off is shorter.
    const delay = Math.max(Math.min(config.OUTBOX_RETRY_SECONDS * 1000 * 2 ** (attempt - 1), MAX_BACKOFF_MS), claim.retryAfterMs ?? 0);
    await models.outbox.updateOne(filter, {
      $set: {
        status: failed ? 'failed' : 'pending',
        attempts: attempt,
        lastError: claim.error ?? 'unknown error',
        nextAttemptAt: new Date(claim.finishedAt.getTime() + delay),
      },
    });
    const details = { messageId: String(message._id), to: message.to, kind: message.kind, attempt, error: claim.error };
    const what = message.transport === 'chat' ? 'chat message' : 'email';
    if (failed) logger.error(details, `${what} failed for good after the last attempt; see GET /api/v1/outbox?status=failed`);
    else logger.warn(details, `${what} not sent; will retry`);
    return failed ? 'failed' : 'retrying';
  }

  /** Mail health for /readyz, as the last delivery run counted it (one _id read): failed mail is reported, it does not make the service unready. */
  async health(): Promise<{ smtp: 'configured' | 'not configured'; pending: number; failed: number; unsent: number }> {
    const counts = await this.deps.models.outboxStats.findById('counts').lean<StatsDoc>();
    return { smtp: this.deps.mailer ? 'configured' : 'not configured', pending: counts?.pending ?? 0, failed: counts?.failed ?? 0, unsent: counts?.unsent ?? 0 };
  }

  /** Messages newest first, filtered in memory (see `index`); the page is read by _id. */
  async list(q: { status?: OutboxStatus[]; to?: string; page: number; pageSize: number }) {
    const to = q.to?.toLowerCase();
    const matches = (await this.listed(requestSince())).filter((m) => (!q.status?.length || q.status.includes(m.status)) && (!to || m.to === to));
    const docs = await Promise.all(pageOf(matches, q.page, q.pageSize).map((m) => this.deps.models.outbox.findById(m._id).lean<OutboxDoc>()));
    return { items: docs.filter((d) => d !== null).map(toView), total: matches.length, page: q.page, pageSize: q.pageSize };
  }

  /**
   * The newest message of a kind starting with `kindPrefix` to each recipient (the People page's invites):
   * chosen from the in-memory index, then one _id read per recipient, so the read is bounded by the people
   * shown, not by the outbox's history.
   */
  async latestByRecipient(kindPrefix: string): Promise<Map<string, ReturnType<typeof toView>>> {
    const newest = new Map<string, Listed>();
    // The index is sorted newest first, so the first seen for a recipient is their latest.
    for (const m of await this.listed(requestSince())) if (m.kind?.startsWith(kindPrefix) && !newest.has(m.to)) newest.set(m.to, m);
    const docs = await Promise.all([...newest.values()].map((m) => this.deps.models.outbox.findById(m._id).lean<OutboxDoc>()));
    return new Map(docs.filter((d) => d !== null).map((d) => [d.to, toView(d)]));
  }

  /**
   * "Retry now" for a message that failed for good: queued again and attempted at once. Repeating it
   * changes nothing (only a failed message is queued again), and it never sends twice: the attempt is
   * claimed like every other (a second retry racing this one loses the claim). Undefined when there is no such message.
   */
  async retry(id: string): Promise<ReturnType<typeof toView> | undefined> {
    if (!Types.ObjectId.isValid(id)) return undefined;
    const { outbox } = this.deps.models;
    const found = await outbox.findById(id).lean<OutboxDoc>();
    if (!found) return undefined;
    if (found.status === 'failed') {
      await outbox.updateOne({ _id: found._id, status: 'failed', attempts: found.attempts }, { $set: { status: 'pending', nextAttemptAt: this.deps.clock.now() } });
      const queued = await outbox.findById(found._id).lean<OutboxDoc>();
      if (queued?.status === 'pending') await this.attempt(queued);
      await this.changed([found._id]);
      await this.recordCounts();
    }
    const now = await outbox.findById(found._id).lean<OutboxDoc>();
    return now ? toView(now) : undefined;
  }

  private async catchUp(): Promise<Listed[]> {
    if (!this.index) {
      // The changes' head first: a write after it is named after it, and read next time.
      const upTo = await this.changes.head();
      const messages = await this.deps.models.outbox.find({}).select(LISTED).lean<Listed[]>();
      this.index = { messages: new Map(messages.map((m) => [String(m._id), m])), upTo };
    }
    const index = this.index;
    const changes = await this.changes.after(index.upTo);
    if (changes.length) {
      const ids = [...new Set(changes.flatMap((c) => c.ids))];
      const found = await Promise.all(ids.map((id) => this.deps.models.outbox.findById(id).select(LISTED).lean<Listed>()));
      ids.forEach((id, i) => (found[i] ? index.messages.set(id, found[i]) : index.messages.delete(id)));
      index.upTo = Number(changes.at(-1)!._id);
      index.sorted = undefined;
    }
    index.sorted ??= [...index.messages.values()].sort(newestFirst);
    return index.sorted;
  }
}

function toView(d: OutboxDoc) {
  return {
    id: String(d._id),
    dedupeKey: d.dedupeKey,
    kind: d.kind,
    transport: d.transport ?? 'email',
    to: d.to,
    subject: d.subject,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : undefined,
    lastError: d.lastError,
    sentAt: d.sentAt?.toISOString(),
    createdAt: d.createdAt.toISOString(),
    text: d.text,
    html: d.html,
  };
}
