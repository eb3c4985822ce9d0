import { z } from 'zod';
import type { Api } from '../http/api.js';
import { actorOf } from '../http/actor.js';
import { incidentKeyParams } from '../incidents/schemas.js';
import type { ReviewsService } from './service.js';
import type { CommentsService } from './comments.js';
import type { IncidentsService } from '../incidents/service.js';
import { commentParams, decisionBody, diffParams, newThreadBody, publishBody, replyBody, requestReviewBody } from './schemas.js';
import { diffView, replyView, reviewView, roundsView, threadView } from '../http/responses.js';

export function reviewRoutes(api: Api, { reviews, comments, incidents }: { reviews: ReviewsService; comments: CommentsService; incidents: IncidentsService }): void {
  api.route({
    method: 'get',
    path: '/incidents/:key/review',
    tag: 'reviews',
    summary: "Read the postmortem's review: status, reviewers and their decisions",
    params: incidentKeyParams,
    response: reviewView,
    handler: ({ params }) => reviews.get(params.key),
  });
  api.route({
    method: 'post',
    path: '/incidents/:key/review/request',
    tag: 'reviews',
    summary: 'Ask named reviewers to review the postmortem (422 lists what is missing)',
    permission: 'reviews:request',
    params: incidentKeyParams,
    body: requestReviewBody,
    response: reviewView,
    handler: ({ params, body, req }) => reviews.request(params.key, body, actorOf(req)),
  });
  api.route({
    method: 'post',
    path: '/incidents/:key/review/decisions',
    tag: 'reviews',
    summary: 'Approve the postmortem or request changes',
    permission: 'reviews:decide',
    params: incidentKeyParams,
    body: decisionBody,
    response: reviewView,
    handler: ({ params, body, req }) => reviews.decide(params.key, body, actorOf(req)),
  });
  api.route({
    method: 'post',
    path: '/incidents/:key/review/publish',
    tag: 'reviews',
    summary: 'Publish an approved postmortem as a frozen snapshot',
    permission: 'reviews:request',
    params: incidentKeyParams,
    body: publishBody,
    response: reviewView,
    handler: ({ params, body, req }) => reviews.publish(params.key, body.note, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/incidents/:key/revisions',
    tag: 'reviews',
    summary: 'List review rounds and the incident version each one looked at',
    params: incidentKeyParams,
    response: roundsView,
    handler: ({ params }) => reviews.rounds(params.key),
  });
  api.route({
    method: 'get',
    path: '/incidents/:key/revisions/:a/diff/:b',
    tag: 'reviews',
    summary: 'Show field by field what changed between two review rounds',
    params: diffParams,
    response: diffView,
    handler: ({ params }) => reviews.diff(params.key, params.a, params.b),
  });
  api.route({
    method: 'get',
    path: '/incidents/:key/comments',
    tag: 'reviews',
    summary: 'List comment threads on the postmortem',
    params: incidentKeyParams,
    response: z.array(threadView),
    handler: async ({ params }) => comments.threads(await incidents.find(params.key)),
  });
  api.route({
    method: 'post',
    path: '/incidents/:key/comments',
    tag: 'reviews',
    summary: 'Start a comment thread on a section or an action; @email mentions notify',
    permission: 'comments:write',
    params: incidentKeyParams,
    body: newThreadBody,
    status: 201,
    response: threadView,
    handler: ({ params, body, req }) => reviews.comment(params.key, body.anchor, body.body, actorOf(req)),
  });
  api.route({
    method: 'post',
    path: '/incidents/:key/comments/:id/replies',
    tag: 'reviews',
    summary: 'Reply in a thread; the thread’s people and @mentions are notified',
    permission: 'comments:write',
    params: commentParams,
    body: replyBody,
    status: 201,
    response: replyView,
    handler: ({ params, body, req }) => reviews.reply(params.key, params.id, body.body, actorOf(req)),
  });
  for (const [verb, resolved] of [['resolve', true], ['reopen', false]] as const) {
    api.route({
      method: 'post',
      path: `/incidents/:key/comments/:id/${verb}`,
      tag: 'reviews',
      summary: resolved ? 'Resolve a comment thread' : 'Reopen a resolved comment thread',
      permission: 'comments:write',
      params: commentParams,
      response: threadView,
      handler: async ({ params, req }) => {
        const incident = await incidents.find(params.key);
        await comments.setResolved(incident, params.id, resolved, actorOf(req));
        return (await comments.threads(incident)).find((t) => t.id === params.id);
      },
    });
  }
}
