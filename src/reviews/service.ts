import type { ActionsService } from '../actions/service.js';
import type { AuditService } from '../audit/service.js';
import { diffFields } from '../audit/diff.js';
import type { DocumentsService } from '../documents/service.js';
import type { Actor } from '../http/actor.js';
import { Conflict, Forbidden, NotFound, Unprocessable, type FieldError, type Said } from '../lib/errors.js';
import { toFields } from '../incidents/convert.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { IncidentsService } from '../incidents/service.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { Mirror } from '../lib/mirror.js';
import type { Repository } from '../lib/repository.js';
import type { Revisions } from '../lib/revisions.js';
import type { Notifications } from '../reminders/notifications.js';
import type { ChatEvents } from '../channels/events.js';
import type { UsersService } from '../users/service.js';
import { commentView, type CommentNotice, type CommentsService } from './comments.js';
import type { ReviewDoc } from './model.js';
import type { ReviewStatus } from './schemas.js';

/** Concurrent decisions by different reviewers commute, so a lost version race is simply retried. */
const MAX_RETRIES = 5;
export const REQUESTABLE: readonly ReviewStatus[] = ['draft', 'changes_requested', 'published'];

export class ReviewsService {
  constructor(
    private readonly deps: {
      comments: CommentsService;
      incidents: IncidentsService;
      actions: ActionsService;
      users: UsersService;
      documents: DocumentsService;
      notifications: Notifications;
      /** Posts review events to chat channels. */
      chat?: Pick<ChatEvents, 'review'>;
      revisions: Revisions;
      /** The only way reviews are written (src/lib/repository.ts). */
      records: { reviews: Repository<ReviewDoc> };
      /** Reviews are read from the read model. */
      mirror: Mirror;
      audit: AuditService;
      clock: Clock;
      config: Config;
    },
  ) {}

  async get(key: string) {
    const incident = await this.deps.incidents.find(key);
    return this.view(incident, await this.load(incident));
  }

  /** draft / changes_requested / published → in_review, when the postmortem says enough to be reviewed. */
  async request(key: string, input: { reviewers: string[]; noActionReason?: string; note?: string }, actor: Actor) {
    const incident = await this.deps.incidents.find(key);
    const missing = await this.missingForReview(incident, input.noActionReason);
    if (missing.length) throw new Unprocessable(`${incident.key} is not ready for review`, missing).saying('notReadyForReview', { key: incident.key });
    const authors = await this.authors(incident, actor.email);
    const people = await this.deps.users.byEmail(input.reviewers);
    const bad: FieldError[] = [];
    input.reviewers.forEach((email, i) => {
      const person = people.get(email);
      if (authors.has(email)) bad.push({ field: `reviewers.${i}`, message: `${email} is an author of this postmortem and cannot review it`, said: { id: 'reviewerIsAuthor', params: { email } } });
      else if (!person || person.disabled) bad.push({ field: `reviewers.${i}`, message: `${email} is not a person here`, said: { id: 'reviewerUnknown', params: { email } } });
      else if (person.role !== 'reviewer' && person.role !== 'admin') bad.push({ field: `reviewers.${i}`, message: `${email} is a ${person.role}, not a reviewer`, said: { id: 'reviewerRole', params: { email, role: person.role } } });
    });
    if (bad.length) throw new Unprocessable('Reviewers refused', bad).saying('reviewersRefused');

    const review = await this.update(incident, actor, (current) => {
      if (!REQUESTABLE.includes(current.status)) {
        throw new Conflict(`Review of ${incident.key} is ${current.status}; it can be requested from ${REQUESTABLE.join(', ')}`);
      }
      const round = current.rounds.length + 1;
      return {
        status: 'in_review',
        author: actor.email,
        reviewers: [...new Set(input.reviewers)],
        noActionReason: input.noActionReason ?? current.noActionReason,
        rounds: [...current.rounds, { number: round, incidentVersion: incident.version, requestedBy: actor.email, requestedAt: this.deps.clock.now(), ...(input.note ? { note: input.note } : {}) }],
      };
    }, 'review requested');
    await this.deps.chat?.review(incident, 'requested', actor, review.rounds.length);
    for (const reviewer of review.reviewers) {
      await this.notify(reviewer, 'review_requested', `${actor.name} asked you to review ${incident.key} ${incident.title}`, incident, review.rounds.length, { id: 'noticeReviewRequested', params: { name: actor.name, key: incident.key, title: incident.title } }, input.note);
    }
    return this.view(incident, review);
  }

  async decide(key: string, input: { decision: 'approve' | 'request_changes'; note?: string }, actor: Actor) {
    const incident = await this.deps.incidents.find(key);
    const review = await this.update(incident, actor, async (current) => {
      if (current.status !== 'in_review') throw new Conflict(`Review of ${incident.key} is ${current.status}, not in_review`);
      if ((await this.authors(incident, current.author)).has(actor.email)) throw new Forbidden('An author cannot approve or reject their own postmortem (filing or editing it makes one an author)');
      if (!current.reviewers.includes(actor.email)) throw new Forbidden(`${actor.email} is not a requested reviewer of ${incident.key}`);
      if (input.decision === 'approve') {
        const open = await this.deps.comments.unresolved(incident);
        if (open.length) throw new Conflict(`${open.length} comment thread(s) on ${incident.key} are unresolved; resolve them before approving`, { unresolvedThreads: open }).saying('threadsUnresolved', { key: incident.key, count: open.length });
      }
      const round = current.rounds.length;
      const decisions = [
        ...current.decisions.filter((d) => !(d.round === round && d.reviewer === actor.email)),
        { round, reviewer: actor.email, decision: input.decision, incidentVersion: incident.version, at: this.deps.clock.now(), ...(input.note ? { note: input.note } : {}) },
      ];
      const approvedBy = new Set(decisions.filter((d) => d.round === round && d.decision === 'approve').map((d) => d.reviewer));
      const status: ReviewStatus =
        input.decision === 'request_changes' ? 'changes_requested' : current.reviewers.every((r) => approvedBy.has(r)) ? 'approved' : 'in_review';
      return { decisions, status };
    }, input.decision === 'approve' ? 'approved' : 'changes requested');
    if (review.status !== 'in_review') await this.deps.chat?.review(incident, review.status === 'approved' ? 'approved' : 'changes_requested', actor, review.rounds.length);
    if (review.author) {
      const what = input.decision === 'approve' ? 'approved' : 'requested changes to';
      await this.notify(review.author, 'review_decision', `${actor.name} ${what} ${incident.key} ${incident.title}`, incident, review.rounds.length, {
        id: input.decision === 'approve' ? 'noticeApproved' : 'noticeChangesRequested',
        params: { name: actor.name, key: incident.key, title: incident.title },
      }, input.note);
    }
    return this.view(incident, review);
  }

  /** approved → published: freezes the rendered postmortem as a snapshot that later edits do not change. */
  async publish(key: string, note: string | undefined, actor: Actor) {
    const incident = await this.deps.incidents.find(key);
    const current = await this.load(incident);
    if (current.status !== 'approved') throw new Conflict(`Review of ${incident.key} is ${current.status}; only an approved postmortem can be published`);
    const approvedAt = Math.max(...current.decisions.filter((d) => d.round === current.rounds.length).map((d) => d.incidentVersion));
    if (incident.version !== approvedAt) {
      throw new Conflict(`${incident.key} changed after it was approved (version ${approvedAt} → ${incident.version}); request review again`);
    }
    const snapshot = await this.deps.documents.freeze(incident.key, { renderings: [
      { template: 'postmortem', format: 'md' },
      { template: 'postmortem', format: 'html' },
    ], ...(note ? { note } : {}) }, actor);
    const review = await this.update(incident, actor, (latest) => {
      if (latest.status !== 'approved') throw new Conflict(`Review of ${incident.key} is ${latest.status}; only an approved postmortem can be published`);
      return { status: 'published', publishedSnapshot: snapshot.number, publishedAt: this.deps.clock.now() };
    }, 'published');
    await this.deps.chat?.review(incident, 'published', actor, review.rounds.length);
    return this.view(incident, review);
  }

  async rounds(key: string) {
    const incident = await this.deps.incidents.find(key);
    const review = await this.load(incident);
    return review.rounds.map((r) => ({ ...r, requestedAt: r.requestedAt.toISOString() }));
  }

  /** What changed in the postmortem between the versions two review rounds looked at, field by field. */
  async diff(key: string, a: number, b: number) {
    const incident = await this.deps.incidents.find(key);
    const review = await this.load(incident);
    const state = async (n: number) => {
      const round = review.rounds.find((r) => r.number === n);
      if (!round) throw new NotFound(`Review round ${n} of ${incident.key}`);
      const state = await this.deps.revisions.stateAt('incident', incident, round.incidentVersion);
      if (!state) throw new NotFound(`Version ${round.incidentVersion} of ${incident.key}`);
      return { round, fields: toFields({ ...state, _id: incident._id }) };
    };
    const [from, to] = [await state(a), await state(b)];
    return {
      from: { round: a, incidentVersion: from.round.incidentVersion },
      to: { round: b, incidentVersion: to.round.incidentVersion },
      changes: diffFields(from.fields, to.fields),
    };
  }

  /** Starts a thread on a section or one of the incident's actions; mentioned people are notified. */
  async comment(key: string, anchor: { section: string; actionKey?: string }, body: string, actor: Actor) {
    const incident = await this.deps.incidents.find(key);
    const actionKeys = (await this.deps.actions.listForIncident(incident._id)).map((a) => a.key);
    const { comment, notices } = await this.deps.comments.start(incident, anchor, body, actionKeys, actor);
    await this.notifyComment(incident, notices, actor);
    return { ...commentView(comment), anchor: comment.anchor };
  }

  /** Answers in a thread; the thread's people and mentioned people are notified. */
  async reply(key: string, threadId: string, body: string, actor: Actor) {
    const incident = await this.deps.incidents.find(key);
    const { comment, notices } = await this.deps.comments.reply(incident, threadId, body, actor);
    await this.notifyComment(incident, notices, actor);
    return { ...commentView(comment), threadId };
  }

  private async notifyComment(incident: IncidentDoc, notices: CommentNotice[], actor: Actor): Promise<void> {
    for (const n of notices) {
      const text = n.kind === 'mention' ? `${actor.name} mentioned you on ${incident.key}: ${excerpt(n.comment.body)}` : `${actor.name} replied on ${incident.key}: ${excerpt(n.comment.body)}`;
      const said: Said = { id: n.kind === 'mention' ? 'noticeMention' : 'noticeReply', params: { name: actor.name, key: incident.key, excerpt: excerpt(n.comment.body) } };
      await this.deps.notifications.add({
        key: `${n.kind}:${String(n.comment._id)}:${n.recipient}`,
        recipient: n.recipient,
        kind: n.kind,
        text,
        said,
        url: `${this.deps.config.BASE_URL}/incidents/${incident.key}#comment-${String(n.comment.threadId ?? n.comment._id)}`,
      });
    }
  }

  private async missingForReview(incident: IncidentDoc, noActionReason: string | undefined): Promise<FieldError[]> {
    const missing: FieldError[] = [];
    if (!incident.impact?.summary && !incident.impact?.errorRatios?.length) missing.push({ field: 'impact', message: 'describe the impact (summary or error ratios)', said: { id: 'reviewNeedsImpact', params: {} } });
    if (!incident.cause?.trigger && !incident.cause?.rootCauses?.length) missing.push({ field: 'cause', message: 'give the trigger or a root cause', said: { id: 'reviewNeedsCause', params: {} } });
    const actions = await this.deps.actions.listForIncident(incident._id);
    const existing = await this.load(incident);
    if (!actions.length && !noActionReason && !existing.noActionReason) {
      missing.push({ field: 'actions', message: 'add a corrective action, or say why none is needed (noActionReason)', said: { id: 'reviewNeedsActions', params: {} } });
    }
    return missing;
  }

  private async load(incident: IncidentDoc): Promise<ReviewDoc> {
    await this.deps.mirror.sync();
    const doc = this.deps.mirror.get<ReviewDoc>('review', String(incident._id));
    if (doc) return doc;
    const now = this.deps.clock.now();
    // Not stored until the first change: a draft is what every postmortem starts as.
    return { _id: undefined as never, incidentId: incident._id, incidentKey: incident.key, status: 'draft', reviewers: [], rounds: [], decisions: [], version: -1, createdAt: now, updatedAt: now };
  }

  /** Applies `change` to the latest review, retrying when another writer won the version race. */
  private async update(
    incident: IncidentDoc,
    actor: Actor,
    change: (current: ReviewDoc) => Partial<ReviewDoc> | Promise<Partial<ReviewDoc>>,
    event: string,
  ): Promise<ReviewDoc> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const current = await this.load(incident);
      const now = this.deps.clock.now();
      const next = { ...current, ...(await change(current)), updatedAt: now };
      let saved: ReviewDoc | undefined;
      if (current.version < 0) {
        saved = await this.insertFirst({ ...next, version: 0 });
      } else {
        const { _id, ...state } = { ...next, version: current.version + 1 };
        if (await this.deps.records.reviews.replace(current, state, actor.email, now)) saved = { ...state, _id };
      }
      if (saved) {
        await this.deps.audit.recordChange(actor, { entity: 'review', key: incident.key, incidentKey: incident.key, event }, reviewState(current), reviewState(saved));
        return saved;
      }
    }
    throw new Conflict(`The review of ${incident.key} is changing fast; retry`);
  }

  /** The first write of a review; its _id is the incident's, so two first writers cannot both succeed. */
  private async insertFirst(doc: Omit<ReviewDoc, '_id'> & { _id?: unknown }): Promise<ReviewDoc | undefined> {
    const { _id: _none, ...fields } = doc;
    try {
      return await this.deps.records.reviews.insert({ ...fields, _id: doc.incidentId });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return undefined;
      throw err;
    }
  }

  /** `note`: what the requester or reviewer typed for the recipient, quoted in the email as written. */
  private async notify(recipient: string, kind: string, text: string, incident: IncidentDoc, round: number, said: Said, note?: string): Promise<void> {
    await this.deps.notifications.add({
      ...(note ? { note } : {}),
      key: `${kind}:${incident.key}:${round}:${recipient}:${this.deps.clock.now().getTime()}`,
      recipient,
      kind,
      text,
      said,
      url: `${this.deps.config.BASE_URL}/incidents/${incident.key}`,
    });
  }

  private view(incident: IncidentDoc, r: ReviewDoc) {
    const round = r.rounds.length;
    return {
      incidentKey: incident.key,
      status: r.status,
      author: r.author ?? null,
      reviewers: r.reviewers.map((email) => ({
        email,
        decision: r.decisions.find((d) => d.round === round && d.reviewer === email)?.decision ?? null,
      })),
      round,
      note: r.rounds.at(-1)?.note ?? null,
      noActionReason: r.noActionReason,
      decisions: r.decisions.map((d) => ({ ...d, at: d.at.toISOString() })),
      publishedSnapshot: r.publishedSnapshot ?? null,
      publishedAt: r.publishedAt?.toISOString() ?? null,
      // Publishing takes the version the last round approved, so that is the version published.
      publishedVersion: r.status === 'published' ? Math.max(...r.decisions.filter((d) => d.round === round).map((d) => d.incidentVersion)) : null,
      version: Math.max(r.version, 0),
    };
  }

  /** Reviews in review that name `email` as a reviewer who has not decided in this round (a person's home page). */
  async waitingFor(email: string): Promise<{ incidentKey: string; round: number; requestedBy: string; requestedAt: string }[]> {
    await this.deps.mirror.sync();
    const docs = this.deps.mirror
      .all<ReviewDoc>('review')
      .filter((r) => r.status === 'in_review' && r.reviewers.includes(email))
      .sort((a, b) => a.incidentKey.localeCompare(b.incidentKey));
    return docs
      .filter((r) => !r.decisions.some((d) => d.round === r.rounds.length && d.reviewer === email))
      .map((r) => {
        const round = r.rounds[r.rounds.length - 1]!;
        return { incidentKey: r.incidentKey, round: r.rounds.length, requestedBy: round.requestedBy, requestedAt: round.requestedAt.toISOString() };
      });
  }

  /**
   * Who may not review: whoever asked for the review, the owner and, unless REVIEW_EDITORS_MAY_REVIEW,
   * everyone who filed or edited the incident (the filer as the incident records it, or its first
   * revision for one filed before; each edit's revision, read by its _id).
   */
  private async authors(incident: IncidentDoc, requester: string | undefined): Promise<Set<string>> {
    const authors = new Set([requester, incident.owner].filter((e): e is string => Boolean(e)));
    if (this.deps.config.REVIEW_EDITORS_MAY_REVIEW) return authors;
    if (incident.filedBy) authors.add(incident.filedBy);
    const versions = Array.from({ length: incident.version + 1 }, (_v, n) => n).filter((n) => n > 0 || !incident.filedBy);
    for (const revision of await Promise.all(versions.map((n) => this.deps.revisions.state('incident', incident._id, n)))) {
      if (revision) authors.add(revision.by);
    }
    return authors;
  }
}

function reviewState(r: ReviewDoc) {
  return { status: r.status, reviewers: r.reviewers, noActionReason: r.noActionReason, round: r.rounds.length, decisions: r.decisions.length, publishedSnapshot: r.publishedSnapshot };
}

function excerpt(text: string): string {
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}
