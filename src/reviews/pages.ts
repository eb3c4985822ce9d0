import express, { type Request, type Response, type Router } from 'express';
import { formatTime, term } from '../documents/format.js';
import { markdownToHtml } from '../documents/markdown.js';
import { ui, type UiKey } from '../documents/ui-strings.js';
import type { HttpError } from '../http/errors.js';
import { NotFound } from '../lib/errors.js';
import { compact, formPost, formText, pageLocale, renderPage, requireSignIn } from '../http/pages.js';
import { can } from '../users/permissions.js';
import { parseOr400 } from '../http/validate.js';
import type { AuditService } from '../audit/service.js';
import { renderIncident, type IncidentPageContext } from '../incidents/pages.js';
import { decisionBody, newThreadBody, publishBody, replyBody, requestReviewBody } from './schemas.js';

/**
 * The incident page's comment and review forms: the same schemas and services as the API routes under
 * /api/v1/incidents/:key/{comments,review}; a refusal is shown on the incident page.
 */
export function reviewPages(services: IncidentPageContext & { audit: AuditService }): Router {
  const { reviews, comments, incidents } = services;
  const router = express.Router();
  const key = (req: Request) => String(req.params.key);
  // A refusal shows the incident page with what was typed put back in the form that was refused.
  const refusedIn = (form: string, fields: string[]) => (req: Request, res: Response, error: HttpError) =>
    renderIncident(services, req, res, key(req), error, { form, values: Object.fromEntries(fields.map((f) => [f, formText(req.body, f)])) });
  const refused = (req: Request, res: Response, error: HttpError) => renderIncident(services, req, res, key(req), error);

  router.post(
    '/incidents/:key/comments',
    ...formPost('comments:write', async (req, actor) => {
      // The section list offers each action as "action:<key>".
      const [section, actionKey] = formText(req.body, 'section').split(':');
      const body = parseOr400(newThreadBody, compact({ anchor: { section, actionKey }, body: formText(req.body, 'body') }), 'comment');
      const comment = await reviews.comment(key(req), body.anchor, body.body, actor);
      return `/incidents/${key(req)}#comment-${comment.id}`;
    }, refusedIn('comment', ['section', 'body'])),
  );

  router.post(
    '/incidents/:key/comments/:id/replies',
    ...formPost('comments:write', async (req, actor) => {
      const body = parseOr400(replyBody, compact({ body: formText(req.body, 'body') }), 'reply');
      const reply = await reviews.reply(key(req), String(req.params.id), body.body, actor);
      return `/incidents/${key(req)}#comment-${reply.threadId}`;
    }, refused),
  );

  for (const [verb, resolved] of [['resolve', true], ['reopen', false]] as const) {
    router.post(
      `/incidents/:key/comments/:id/${verb}`,
      ...formPost('comments:write', async (req, actor) => {
        const incident = await incidents.find(key(req));
        await comments.setResolved(incident, String(req.params.id), resolved, actor);
        return `/incidents/${incident.key}#comment-${String(req.params.id)}`;
      }, refused),
    );
  }

  router.post(
    '/incidents/:key/review/request',
    ...formPost('reviews:request', async (req, actor) => {
      const form = {
        reviewers: formText(req.body, 'reviewers').split(',').map((s) => s.trim()).filter(Boolean),
        noActionReason: formText(req.body, 'noActionReason'),
        note: formText(req.body, 'note'),
      };
      const review = await reviews.request(key(req), parseOr400(requestReviewBody, compact(form), 'review request'), actor);
      return `/incidents/${review.incidentKey}#review`;
    }, refusedIn('reviewRequest', ['reviewers', 'noActionReason', 'note'])),
  );

  router.post(
    '/incidents/:key/review/decisions',
    ...formPost('reviews:decide', async (req, actor) => {
      const form = { decision: formText(req.body, 'decision'), note: formText(req.body, 'note') };
      const review = await reviews.decide(key(req), parseOr400(decisionBody, compact(form), 'decision'), actor);
      return `/incidents/${review.incidentKey}#review`;
    }, refusedIn('reviewDecision', ['note'])),
  );

  router.post(
    '/incidents/:key/review/publish',
    ...formPost('reviews:request', async (req, actor) => {
      const body = parseOr400(publishBody, compact({ note: formText(req.body, 'note') }), 'publish');
      const review = await reviews.publish(key(req), body.note, actor);
      return `/incidents/${review.incidentKey}#review`;
    }, refusedIn('reviewPublish', ['note'])),
  );

  // What the incident page links to: its rounds with what changed between them, its snapshots and (for admins) its audit trail.
  router.get('/incidents/:key/history', requireSignIn, async (req, res) => {
    const locale = pageLocale(services.config, req);
    const actor = req.actor!;
    const incident = await incidents.find(key(req));
    const at = (iso: string) => formatTime(iso, 'full', actor.timezone);
    const rounds = await reviews.rounds(incident.key);
    const withChanges = await Promise.all(
      rounds.map(async (r) => ({
        ...r,
        requestedAt: at(r.requestedAt),
        previous: r.number - 1,
        changes: r.number > 1 ? (await reviews.diff(incident.key, r.number - 1, r.number)).changes.map((c) => ({ field: c.field, from: shown(c.from), to: shown(c.to) })) : undefined,
      })),
    );
    const snapshots = (await services.documents.listSnapshots(incident.key)).items.map((sn) => ({ ...sn, createdAt: at(sn.createdAt) }));
    // The audit log is for admins (GET /api/v1/audit); its in-memory index keeps this read bounded to the page shown.
    const audit = can(actor.role, 'admin') ? await services.audit.list({ incident: incident.key, page: 1, pageSize: AUDIT_SHOWN }) : undefined;
    renderPage(services, req, res, 'incident-history', {
      title: ui(locale, 'history.title', { key: incident.key }),
      incident,
      rounds: withChanges.reverse(),
      snapshots: snapshots.reverse(),
      audit: audit && {
        items: audit.items.map((e) => ({ ...e, at: at(e.at), event: auditEventText(e, locale) })).reverse(),
        more: audit.total > audit.items.length ? { shown: audit.items.length, total: audit.total, url: `/api/v1/audit?incident=${incident.key}` } : undefined,
      },
    });
  });

  // A published snapshot as it was frozen (GET /api/v1/incidents/:key/snapshots/:n), in the reader's language when it has one.
  router.get('/incidents/:key/snapshots/:n', requireSignIn, async (req, res) => {
    const locale = pageLocale(services.config, req);
    const n = Number(req.params.n);
    if (!Number.isInteger(n) || n < 1) throw new NotFound(`Snapshot ${String(req.params.n)} of ${key(req)}`);
    const snapshot = await services.documents.getSnapshot(key(req), n);
    const markdown = snapshot.renderings.filter((r) => r.format === 'md');
    const text = (markdown.find((r) => r.locale === locale) ?? markdown[0])?.text ?? '';
    renderPage(services, req, res, 'snapshot', {
      title: ui(locale, 'snapshot.title', { key: snapshot.incidentKey, n }),
      snapshot: { ...snapshot, createdAt: formatTime(snapshot.createdAt, 'full', req.actor!.timezone) },
      documentHtml: markdownToHtml(text),
    });
  });

  return router;
}

/** The newest audit entries the history page shows; the API pages through the rest. */
const AUDIT_SHOWN = 200;

/** A changed value as a reader sees it in a table cell: text as is, lists one item a line, anything else as JSON. */
function shown(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n');
  return JSON.stringify(value, null, 1);
}

/** The audit log's event names (as the services record them, in English) in the reader's words; one not known here is shown as recorded. */
const AUDIT_EVENTS: Record<string, UiKey> = {
  filed: 'history.event.filed',
  updated: 'history.event.updated',
  'action added': 'history.event.actionAdded',
  'review requested': 'history.event.reviewRequested',
  approved: 'history.event.approved',
  'changes requested': 'history.event.changesRequested',
  published: 'history.event.published',
  'thread resolved': 'history.event.threadResolved',
  'thread reopened': 'history.event.threadReopened',
  replied: 'history.event.replied',
};

function auditEventText(e: { entity: string; event: string }, locale: string): string {
  const known = AUDIT_EVENTS[e.event];
  if (known) return ui(locale, known);
  const status = /^status (\w+) → (\w+)$/.exec(e.event);
  const group = e.entity === 'action' ? 'actionStatus' : 'incidentStatus';
  if (status) return ui(locale, 'history.event.status', { from: term(group, status[1]!, locale), to: term(group, status[2]!, locale) });
  const commented = /^commented on (\S+)$/.exec(e.event);
  if (commented) return ui(locale, 'history.event.commented', { on: /-A\d+$/.test(commented[1]!) ? commented[1] : term('section', commented[1]!, locale) });
  return e.event;
}
