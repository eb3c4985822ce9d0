import { DateTime } from 'luxon';
import type { ActionDoc } from '../actions/model.js';
import { ACTION_STATUSES, CLOSED_ACTION_STATUSES, type ActionStatus } from '../actions/schemas.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { Clock } from '../lib/clock.js';
import { compareValues } from '../lib/listing.js';
import { getOr } from '../lib/maps.js';
import { daysLate, todayFor } from '../actions/due.js';
import { zoneNamed } from '../lib/time.js';
import type { Mirror } from '../lib/mirror.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { NewMessage, Outbox } from '../mail/outbox.js';
import { readerOf, renderEmail, type Reader, type TemplateRenderer } from './email.js';
import type { ActionLinks } from './links.js';
import type { NewNotification, NotificationDoc, Notifications } from './notifications.js';
import type { PeopleLookup } from './people.js';
import { policyFrom, triggersOn, type ReminderKind } from './policy.js';

/** Statuses that still owe work, reminded until done, verified or wont_fix. */
const OPEN: readonly ActionStatus[] = ACTION_STATUSES.filter((s) => !CLOSED_ACTION_STATUSES.includes(s));
/** Days a late run looks back, so a worker that was down over a reminder's day still raises it. */
const CATCH_UP_DAYS = 2;
const WEEK = 7;
/** Notifications written per round trip of the sweep. */
const RAISE_BATCH = 1000;
/** Digests composed, then stored, per part of a run (see sendDigests). */
const DIGESTS_PER_PART = 100;
/** Kinds about the owner's own work, which the owner's snooze quiets. */
const OWNER_KINDS: ReminderKind[] = ['before_due', 'due_today', 'overdue'];


/** A digest to write today: its recipient, dedupe key, the reader's day and language, and its reasons. */
interface Due {
  recipient: string;
  key: string;
  day: string;
  reader: Reader;
  reasons: NotificationDoc[];
}

export class RemindersService {
  /** Reminder keys this process has raised (or found raised) by day, so later runs skip them; days past the look-back are dropped. */
  private readonly raised = new Map<string, Set<string>>();

  constructor(
    private readonly deps: {
      /** Actions and incidents are read from the read model: a sweep reads every open action. */
      mirror: Mirror;
      notifications: Notifications;
      outbox: Outbox;
      links: ActionLinks;
      renderer: TemplateRenderer;
      people: PeopleLookup;
      clock: Clock;
      config: Config;
      logger: Logger;
    },
  ) {}

  /** Job send-due-reminders: raises today's reminders (and any a stopped worker missed) as notifications. */
  async raiseDue(): Promise<{ raised: number; unroutable: string[] }> {
    const { mirror, notifications, clock, config, people } = this.deps;
    const now = clock.now();
    const policy = policyFrom(config);
    await mirror.sync();
    const docs = mirror
      .all<ActionDoc>('action')
      .filter((a) => OPEN.includes(a.status as ActionStatus) || a.status === 'done' || (a.status === 'verified' && a.recheckOn));
    const oldest = DateTime.fromJSDate(now).minus({ days: CATCH_UP_DAYS + 1 }).toISODate()!;
    for (const day of this.raised.keys()) if (day < oldest) this.raised.delete(day);
    const managers = new Map<string, Promise<string | undefined>>();
    const managerOf = (email: string) => getOr(managers, email, async () => (await people(email))?.manager);
    // The days looked at, worked out once per time zone: each with its date and the instant it starts.
    const daysIn = new Map<string, { day: string; start: Date; end: Date }[]>();
    const lookBack = (zone: string) =>
      getOr(daysIn, zone, () => {
        const today = DateTime.fromJSDate(now, { zone: zoneNamed(zone) }).startOf('day');
        return Array.from({ length: CATCH_UP_DAYS + 1 }, (_, i) => {
          const start = today.minus({ days: CATCH_UP_DAYS - i });
          return { day: start.toISODate()!, start: start.toJSDate(), end: start.plus({ days: 1 }).toJSDate() };
        });
      });
    const toRaise: (NewNotification & { day: string })[] = [];
    const unroutable = new Set<string>();
    // Written a batch (one command) at a time while the next is worked out; a reminder raised before (by
    // this run's look-back or another worker) is skipped. At most one batch is being written.
    let raised = 0;
    let writing: Promise<void> = Promise.resolve();
    const write = async (batch: (NewNotification & { day: string })[]) => {
      raised += await notifications.addMany(batch.map(({ day: _day, ...n }) => n));
      // Remembered once written: a batch that failed is asked for again on the next run.
      for (const { key, day } of batch) getOr(this.raised, day, () => new Set()).add(key);
    };
    const flush = async () => {
      await writing;
      writing = write(toRaise.splice(0));
      // Handled here so a failure waits for the next await rather than being reported as unhandled.
      writing.catch(() => undefined);
    };
    for (const action of docs) {
      const incidentOwner = mirror.get<IncidentDoc>('incident', String(action.incidentId))?.owner;
      const ownerManager = action.owner ? await managerOf(action.owner) : undefined;
      for (const { day, start: dayStart, end } of lookBack(action.timezone)) {
        // Not before the day the action was created.
        if (action.createdAt >= end) continue;
        if (!action.owner && !incidentOwner && triggersOn(action, day, { incidentOwner: 'nobody' }, policy).length) unroutable.add(action.key);
        for (const t of triggersOn(action, day, { incidentOwner, ownerManager }, policy)) {
          const key = `reminder:${action.key}:${t.kind}:${day}:${t.recipient}`;
          // Every run looks back a few days; what this process already raised is not asked for again.
          if (this.raised.get(day)?.has(key)) continue;
          toRaise.push({ key, recipient: t.recipient, kind: t.kind, actionKey: action.key, dueAt: dayStart, day });
        }
      }
      if (toRaise.length >= RAISE_BATCH) await flush();
    }
    if (toRaise.length) await flush();
    await writing;
    // Not dropped silently: an unowned action of an unowned incident has nobody to tell.
    if (unroutable.size) this.deps.logger.warn({ actions: [...unroutable] }, 'reminders due for unowned actions of incidents without an owner');
    return { raised, unroutable: [...unroutable] };
  }

  /**
   * Job send-digests: at DIGEST_HOUR in each recipient's zone, one email with everything they owe,
   * sent when something was raised for them. The digest's dedupe key (recipient and local date)
   * makes it once a day however many workers run; the notifications it reports are marked from
   * the stored message's refs, so a worker that stopped between the two steps is finished by the next run.
   */
  async sendDigests(): Promise<{ digests: number }> {
    const { notifications, outbox, clock, config, people } = this.deps;
    const now = clock.now();
    const due: Due[] = [];
    const queued = await notifications.pending(now, 'digest');
    for (const [recipient, pending] of queued) {
      const reader = await readerOf(people, config, recipient);
      const local = DateTime.fromJSDate(now, { zone: zoneNamed(reader.zone) });
      const sendAt = local.set({ hour: config.DIGEST_HOUR, minute: 0, second: 0, millisecond: 0 });
      if (local < sendAt) continue;
      // What became due after today's digest time waits for tomorrow's.
      const reasons = pending.filter((n) => n.dueAt <= sendAt.toJSDate());
      const day = local.toISODate()!;
      if (reasons.length) due.push({ recipient, key: `digest:${recipient}:${day}`, day, reader, reasons });
    }
    // Today's digests already stored (by another worker, or by a run that stopped before marking).
    const sent = await outbox.refsOfMany(due.map((d) => d.key));
    // Composed a part at a time, each part stored while the next is composed: the store's work and this
    // process's overlap. At most one part is being stored; a failure stops the run at the next part.
    let digests = 0;
    let storing: Promise<number> = Promise.resolve(0);
    for (let i = 0; i < due.length; i += DIGESTS_PER_PART) {
      const partDue = due.slice(i, i + DIGESTS_PER_PART);
      const part = await this.composeAll(partDue, sent, now);
      digests += await storing;
      // What the part reports was read as its recipients' pending notifications (not the whole queue's, once a part).
      storing = this.storeDigests(part, partDue.flatMap((d) => queued.get(d.recipient)!));
      // Handled here so a failure waits for the await above rather than being reported as unhandled.
      storing.catch(() => undefined);
    }
    return { digests: digests + (await storing) };
  }

  /** The digests of `due` not stored yet, and the notifications of those that are (or have nothing left to say). */
  private async composeAll(due: Due[], sent: Map<string, string[]>, now: Date): Promise<{ ready: { message: NewMessage; refs: string[] }[]; reported: { ids: string[]; key: string }[] }> {
    const ready: { message: NewMessage; refs: string[] }[] = [];
    const reported: { ids: string[]; key: string }[] = [];
    // The part's digests say what the actions are as of its start.
    await this.deps.mirror.sync();
    for (const { recipient, key, day, reader, reasons } of due) {
      const refs = sent.get(key);
      if (refs) {
        reported.push({ ids: refs, key });
        continue;
      }
      const digest = await this.compose(recipient, reasons, { now, day }, reader);
      const ids = reasons.map((n) => String(n._id));
      // Every reason went away (closed, snoozed) before the digest: nothing to say, nothing lost.
      if (!digest) reported.push({ ids, key: `obsolete:${day}` });
      else ready.push({ message: { dedupeKey: key, kind: 'digest', to: recipient, ...digest, refs: ids }, refs: ids });
    }
    return { ready, reported };
  }

  /** Stores composed digests in one write, then marks what they report; returns how many were new. */
  private async storeDigests({ ready, reported }: Awaited<ReturnType<RemindersService['composeAll']>>, read: NotificationDoc[]): Promise<number> {
    const { notifications, outbox } = this.deps;
    // Another worker may have written some first, and then its refs are the ones reported.
    const written = await outbox.enqueueMany(ready.map((r) => r.message));
    for (const { message, refs } of ready) {
      reported.push({ ids: written.has(message.dedupeKey) ? refs : ((await outbox.refsOf(message.dedupeKey)) ?? []), key: message.dedupeKey });
    }
    await notifications.markReported(
      reported.flatMap(({ ids, key }) => ids.map((id) => ({ id, key }))),
      read,
    );
    return written.size;
  }

  /** The digest's subject and bodies from the read model as it is (see composeAll), or undefined when none of the reasons still holds. */
  private async compose(recipient: string, due: NotificationDoc[], at: { now: Date; day: string }, reader: Reader) {
    const { mirror, renderer, config } = this.deps;
    const byKey = new Map<string, ActionDoc>();
    const remember = (docs: ActionDoc[]) => docs.forEach((d) => byKey.set(d.key, d));
    const today = (a: ActionDoc) => todayFor(a, at.now);
    // Asked of each action by several sections: worked out once.
    const late = new Map<ActionDoc, number>();
    const lateBy = (a: ActionDoc) => getOr(late, a, () => (a.dueDate ? daysLate(a.dueDate, today(a)) : 0));
    const snoozed = (a: ActionDoc) => !!a.snoozedUntil && today(a) < a.snoozedUntil;

    remember(due.flatMap((n) => (n.actionKey && mirror.get<ActionDoc>('action', n.actionKey)) || []));
    const stillHolds = (n: NotificationDoc) => {
      if (!n.actionKey) return true;
      const a = byKey.get(n.actionKey);
      if (!a) return false;
      if (n.kind === 'recheck') return a.status === 'verified';
      if (n.kind === 'verify') return a.status === 'done';
      if (OWNER_KINDS.includes(n.kind as ReminderKind) && snoozed(a)) return false;
      return OPEN.includes(a.status as ActionStatus);
    };
    const reasons = due.filter(stillHolds);
    if (!reasons.length) return undefined;

    const owned = mirror.find<ActionDoc>('action', 'owner', recipient).filter((a) => OPEN.includes(a.status as ActionStatus));
    const inOwnIncidents = mirror
      .find<IncidentDoc>('incident', 'owner', recipient)
      .flatMap((i) => mirror.find<ActionDoc>('action', 'incident', String(i._id)))
      .filter((a) => OPEN.includes(a.status as ActionStatus) || a.status === 'done');
    remember(owned);
    remember(inOwnIncidents);

    const item = async (a: ActionDoc, withLinks: boolean) => {
      const incident = mirror.get<IncidentDoc>('incident', String(a.incidentId));
      const days = lateBy(a);
      return {
        key: a.key,
        title: a.title,
        url: `${config.BASE_URL}/api/v1/actions/${a.key}`,
        incidentKey: a.incidentKey,
        incidentTitle: incident?.title ?? '',
        status: a.status,
        owner: a.owner ?? undefined,
        dueDate: a.dueDate ?? undefined,
        daysOverdue: days > 0 ? days : undefined,
        daysLeft: a.dueDate && days <= 0 ? -days : undefined,
        recheckOn: a.recheckOn ?? undefined,
        snoozedUntil: snoozed(a) ? a.snoozedUntil : undefined,
        links: withLinks
          ? { done: await this.deps.links.url(a.key, recipient, 'done'), snooze: await this.deps.links.url(a.key, recipient, 'snooze'), due: await this.deps.links.url(a.key, recipient, 'due') }
          : undefined,
      };
    };
    // A section lists its first DIGEST_SECTION_ITEMS and counts the rest: an email of three hundred lines is not read, and each line costs its links.
    const items = (docs: ActionDoc[], withLinks: boolean) => Promise.all(docs.slice(0, config.DIGEST_SECTION_ITEMS).map((a) => item(a, withLinks)));
    // Dates and keys are ASCII, ordered alike by code unit, at a fraction of a collation's cost (a digest sorts hundreds).
    const byDue = (x: ActionDoc, y: ActionDoc) => compareValues(x.dueDate ?? '', y.dueDate ?? '') || compareValues(x.key, y.key);
    const reasonActions = (kind: string) =>
      reasons.filter((n) => n.kind === kind).flatMap((n) => byKey.get(n.actionKey ?? '') ?? []);
    const unique = (docs: ActionDoc[]) => [...new Map(docs.map((d) => [d.key, d])).values()];

    const others = inOwnIncidents.filter((a) => a.owner !== recipient);
    const all = {
      overdue: owned.filter((a) => lateBy(a) > 0).sort(byDue),
      dueThisWeek: owned.filter((a) => a.dueDate && lateBy(a) <= 0 && -lateBy(a) < WEEK).sort(byDue),
      noDueDate: owned.filter((a) => !a.dueDate).sort(byDue),
      awaitingVerification: others.filter((a) => a.status === 'done').sort(byDue),
      unowned: others.filter((a) => !a.owner && OPEN.includes(a.status as ActionStatus)).sort(byDue),
      escalated: unique([...others.filter((a) => a.owner && OPEN.includes(a.status as ActionStatus) && lateBy(a) >= config.ESCALATE_AFTER_DAYS), ...reasonActions('escalation')]).sort(byDue),
      recheck: reasonActions('recheck'),
    };
    const ownWork = new Set(['overdue', 'dueThisWeek', 'noDueDate']);
    const sections = Object.fromEntries(await Promise.all(Object.entries(all).map(async ([name, docs]) => [name, await items(docs, ownWork.has(name))] as const)));
    // Where the actions a section leaves out are listed: the reader's own open ones, or those awaiting verification, or the unowned.
    const listOf: Record<string, string> = { awaitingVerification: 'verify', unowned: 'unowned', escalated: 'open', recheck: 'all' };
    const more = Object.fromEntries(
      Object.entries(all)
        .filter(([name, docs]) => docs.length > sections[name]!.length)
        .map(([name, docs]) => [name, { n: docs.length - sections[name]!.length, url: `${config.BASE_URL}/actions?view=${listOf[name] ?? 'mine'}` }]),
    );
    const laterCount = owned.filter((a) => a.dueDate && -lateBy(a) >= WEEK).length;
    const data = {
      recipient,
      date: at.day,
      baseUrl: config.BASE_URL,
      counts: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.length])),
      ...sections,
      more,
      laterCount,
    };
    return renderEmail(renderer, 'digest', data, reader);
  }
}

