import express, { type Request, type Response, type Router } from 'express';
import type { HttpError } from '../http/errors.js';
import { compact, formPost, formText } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import { renderIncident } from '../incidents/pages.js';
import type { Services } from '../services.js';
import { decisionBody, newThreadBody, publishBody, replyBody, requestReviewBody } from './schemas.js';

/**
 * The incident page's comment and review forms: the same schemas and services as the API routes under
 * /api/v1/incidents/:key/{comments,review}; a refusal is shown on the incident page.
 */
export function reviewPages(services: Services): Router {
  const { reviews, comments, incidents } = services;
  const router = express.Router();
  const key = (req: Request) => String(req.params.key);
  const refused = (req: Request, res: Response, error: HttpError) => renderIncident(services, req, res, key(req), error);

  router.post(
    '/incidents/:key/comments',
    ...formPost('comments:write', async (req, actor) => {
      // The section list offers each action as "action:<key>".
      const [section, actionKey] = formText(req.body, 'section').split(':');
      const body = parseOr400(newThreadBody, compact({ anchor: { section, actionKey }, body: formText(req.body, 'body') }), 'comment');
      const comment = await reviews.comment(key(req), body.anchor, body.body, actor);
      return `/incidents/${key(req)}#comment-${comment.id}`;
    }, refused),
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
    }, refused),
  );

  router.post(
    '/incidents/:key/review/decisions',
    ...formPost('reviews:decide', async (req, actor) => {
      const form = { decision: formText(req.body, 'decision'), note: formText(req.body, 'note') };
      const review = await reviews.decide(key(req), parseOr400(decisionBody, compact(form), 'decision'), actor);
      return `/incidents/${review.incidentKey}#review`;
    }, refused),
  );

  router.post(
    '/incidents/:key/review/publish',
    ...formPost('reviews:request', async (req, actor) => {
      const body = parseOr400(publishBody, compact({ note: formText(req.body, 'note') }), 'publish');
      const review = await reviews.publish(key(req), body.note, actor);
      return `/incidents/${review.incidentKey}#review`;
    }, refused),
  );

  return router;
}
