import { Types } from 'mongoose';
import type { AuditService } from '../audit/service.js';
import type { Actor } from '../http/actor.js';
import { BadRequest, NotFound } from '../http/errors.js';
import type { Clock } from '../lib/clock.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { CommentDoc, CommentModel } from './model.js';

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
  constructor(private readonly deps: { comments: CommentModel; audit: AuditService; clock: Clock }) {}

  async threads(incident: IncidentDoc) {
    const docs = await this.deps.comments.find({ incidentId: incident._id }).sort({ createdAt: 1, _id: 1 }).lean<CommentDoc[]>();
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
    const docs = await this.deps.comments
      .find({ incidentId: incident._id, threadId: null, resolved: { $ne: true } })
      .sort({ createdAt: 1 })
      .lean<CommentDoc[]>();
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
    const thread = await this.deps.comments.find({ threadId: root._id }).lean<CommentDoc[]>();
    const comment = await this.insert(incident, { threadId: root._id }, body, actor);
    const participants = [root.author, ...thread.map((c) => c.author)];
    return { comment, notices: this.notices(comment, participants, actor) };
  }

  async setResolved(incident: IncidentDoc, threadId: string, resolved: boolean, actor: Actor) {
    const root = await this.root(incident, threadId);
    if (Boolean(root.resolved) === resolved) return;
    const now = this.deps.clock.now();
    await this.deps.comments.updateOne(
      { _id: root._id },
      resolved ? { $set: { resolved: true, resolvedBy: actor.email, resolvedAt: now } } : { $set: { resolved: false }, $unset: { resolvedBy: 1, resolvedAt: 1 } },
    );
    await this.deps.audit.record(actor, {
      entity: 'comment',
      key: String(root._id),
      incidentKey: incident.key,
      event: resolved ? 'thread resolved' : 'thread reopened',
      changes: [{ field: 'resolved', from: Boolean(root.resolved), to: resolved }],
    });
  }

  private async root(incident: IncidentDoc, threadId: string): Promise<CommentDoc> {
    const root = Types.ObjectId.isValid(threadId) && /^[0-9a-f]{24}$/i.test(threadId)
      ? await this.deps.comments.findOne({ _id: threadId, incidentId: incident._id, threadId: null }).lean<CommentDoc>()
      : undefined;
    if (!root) throw new NotFound(`Comment thread ${threadId} on ${incident.key}`);
    return root;
  }

  private async insert(incident: IncidentDoc, place: Pick<CommentDoc, 'anchor' | 'threadId'>, body: string, actor: Actor): Promise<CommentDoc> {
    const doc = await this.deps.comments.create({
      incidentId: incident._id,
      incidentKey: incident.key,
      ...place,
      author: actor.email,
      body,
      mentions: mentionsIn(body),
      createdAt: this.deps.clock.now(),
    });
    const comment = doc.toObject() as CommentDoc;
    await this.deps.audit.record(actor, {
      entity: 'comment',
      key: String(comment._id),
      incidentKey: incident.key,
      event: place.threadId ? 'replied' : `commented on ${place.anchor?.actionKey ?? place.anchor?.section}`,
      changes: [{ field: 'body', to: body }],
    });
    return comment;
  }

  private notices(comment: CommentDoc, participants: string[], actor: Actor): CommentNotice[] {
    const out = new Map<string, CommentNotice>();
    for (const p of participants) if (p !== actor.email) out.set(p, { recipient: p, kind: 'reply', comment });
    for (const m of comment.mentions) if (m !== actor.email) out.set(m, { recipient: m, kind: 'mention', comment });
    return [...out.values()];
  }
}
