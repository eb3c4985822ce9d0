import { Types } from 'mongoose';
import type { AuditService } from '../audit/service.js';
import type { Actor } from '../http/actor.js';
import { BadRequest, NotFound } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { Mirror } from '../lib/mirror.js';
import type { Repository } from '../lib/repository.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { CommentDoc } from './model.js';

/** Whom a new comment should reach (mentions, the thread's people); the caller delivers. */
export interface CommentNotice {
  recipient: string;
  kind: 'mention' | 'reply';
  comment: CommentDoc;
}

const MENTION_RE = /@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)/g;

export function mentionsIn(text: string): string[] {
  return [...new Set([...text.matchAll(MENTION_RE)].map((m) => m[1]!.toLowerCase()))];
}

export function commentView(c: CommentDoc) {
  return {
    id: String(c._id),
    author: c.author,
    body: c.body,
    mentions: c.mentions,
    createdAt: c.createdAt.toISOString(),
  };
}

export class CommentsService {
  constructor(private readonly deps: { mirror: Mirror; records: { comments: Repository<CommentDoc> }; audit: AuditService; clock: Clock }) {}

  async threads(incident: IncidentDoc) {
    const docs = await this.ofIncident(incident);
    const roots = docs.filter((d) => !d.threadId);
    return roots.map((root) => ({
      ...commentView(root),
      anchor: root.anchor,
      resolved: Boolean(root.resolved),
      resolvedBy: root.resolvedBy,
      resolvedAt: root.resolvedAt?.toISOString(),
      replies: docs.filter((d) => d.threadId?.equals(root._id)).map(commentView),
    }));
  }

  async unresolved(incident: IncidentDoc): Promise<{ id: string; anchor?: CommentDoc['anchor']; author: string; body: string }[]> {
    const docs = (await this.ofIncident(incident)).filter((d) => !d.threadId && !d.resolved);
    return docs.map((d) => ({ id: String(d._id), anchor: d.anchor, author: d.author, body: d.body }));
  }

  async start(incident: IncidentDoc, anchor: { section: string; actionKey?: string }, body: string, actionKeys: string[], actor: Actor) {
    if (anchor.actionKey && !actionKeys.includes(anchor.actionKey.toUpperCase())) {
      throw new BadRequest('Invalid comment', [{ field: 'anchor.actionKey', message: `${anchor.actionKey} is not an action of ${incident.key}` }]);
    }
    const comment = await this.insert(incident, { anchor: anchor.actionKey ? { ...anchor, actionKey: anchor.actionKey.toUpperCase() } : anchor }, body, actor);
    return { comment, notices: this.notices(comment, [], actor) };
  }

  async reply(incident: IncidentDoc, threadId: string, body: string, actor: Actor) {
    const root = await this.root(incident, threadId);
    const thread = (await this.ofIncident(incident)).filter((d) => d.threadId?.equals(root._id));
    const comment = await this.insert(incident, { threadId: root._id }, body, actor);
    const participants = [root.author, ...thread.map((c) => c.author)];
    return { comment, notices: this.notices(comment, participants, actor) };
  }

  /** Resolves or reopens a thread; of two people doing the same at once, one records it and the other finds it done. */
  async setResolved(incident: IncidentDoc, threadId: string, resolved: boolean, actor: Actor) {
    let root = await this.root(incident, threadId);
    for (;;) {
      if (Boolean(root.resolved) === resolved) return;
      const now = this.deps.clock.now();
      const { _id, resolvedBy: _by, resolvedAt: _at, ...rest } = root;
      const next = { ...rest, resolved, ...(resolved ? { resolvedBy: actor.email, resolvedAt: now } : {}), version: (root.version ?? 0) + 1 };
      if (await this.deps.records.comments.replace({ ...root, version: root.version ?? 0 }, next, actor.email, now)) break;
      root = await this.root(incident, threadId);
    }
    await this.deps.audit.record(actor, {
      entity: 'comment',
      key: String(root._id),
      incidentKey: incident.key,
      event: resolved ? 'thread resolved' : 'thread reopened',
      changes: [{ field: 'resolved', from: Boolean(root.resolved), to: resolved }],
    });
  }

  private async root(incident: IncidentDoc, threadId: string): Promise<CommentDoc> {
    await this.deps.mirror.sync();
    const root = Types.ObjectId.isValid(threadId) && /^[0-9a-f]{24}$/i.test(threadId) ? this.deps.mirror.get<CommentDoc>('comment', threadId) : undefined;
    if (!root || !root.incidentId.equals(incident._id) || root.threadId) throw new NotFound(`Comment thread ${threadId} on ${incident.key}`);
    return root;
  }

  private async insert(incident: IncidentDoc, place: Pick<CommentDoc, 'anchor' | 'threadId'>, body: string, actor: Actor): Promise<CommentDoc> {
    const comment = await this.deps.records.comments.insert({
      _id: new Types.ObjectId(),
      incidentId: incident._id,
      incidentKey: incident.key,
      ...place,
      author: actor.email,
      body,
      mentions: mentionsIn(body),
      createdAt: this.deps.clock.now(),
    });
    await this.deps.audit.record(actor, {
      entity: 'comment',
      key: String(comment._id),
      incidentKey: incident.key,
      event: place.threadId ? 'replied' : `commented on ${place.anchor?.actionKey ?? place.anchor?.section}`,
      changes: [{ field: 'body', to: body }],
    });
    return comment;
  }

  /** The incident's comments, oldest first, from the read model. */
  private async ofIncident(incident: IncidentDoc): Promise<CommentDoc[]> {
    await this.deps.mirror.sync();
    return this.deps.mirror
      .find<CommentDoc>('comment', 'incident', String(incident._id))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || String(a._id).localeCompare(String(b._id)));
  }

  private notices(comment: CommentDoc, participants: string[], actor: Actor): CommentNotice[] {
    const out = new Map<string, CommentNotice>();
    for (const p of participants) if (p !== actor.email) out.set(p, { recipient: p, kind: 'reply', comment });
    for (const m of comment.mentions) if (m !== actor.email) out.set(m, { recipient: m, kind: 'mention', comment });
    return [...out.values()];
  }
}
