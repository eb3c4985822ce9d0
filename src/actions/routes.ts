import type { Api } from '../http/api.js';
import { actorOf } from '../http/actor.js';
import { incidentKeyParams } from '../incidents/schemas.js';
import type { ActionsService } from './service.js';
import { actionInput, actionKeyParams, actionStatsQuery, listActionsQuery, patchActionBody, transitionBody } from './schemas.js';
import { actionStatsView, actionView, historyView, listOf } from '../http/responses.js';

export function actionRoutes(api: Api, { actions }: { actions: ActionsService }): void {
  api.route({
    method: 'post',
    path: '/incidents/:key/actions',
    tag: 'actions',
    summary: 'Add a corrective action to an incident (next A-number; due date from the SLA when not given)',
    params: incidentKeyParams,
    body: actionInput,
    status: 201,
    response: actionView,
    handler: ({ params, body, req }) => actions.create(params.key, body, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/actions',
    tag: 'actions',
    summary: 'List corrective actions across incidents with filters, sort and pagination',
    query: listActionsQuery,
    response: listOf(actionView),
    handler: ({ query }) => actions.list(query),
  });
  // Before /actions/:key, which would otherwise take "stats" for a key.
  api.route({
    method: 'get',
    path: '/actions/stats',
    tag: 'actions',
    summary: 'Open, overdue, unowned, done and verified counts per owner and team; time to done; share within SLA; oldest open',
    query: actionStatsQuery,
    response: actionStatsView,
    handler: ({ query }) => actions.stats(query),
  });
  api.route({
    method: 'get',
    path: '/actions/:key',
    tag: 'actions',
    summary: 'Read an action by key (INC-2023-0002-A1)',
    params: actionKeyParams,
    response: actionView,
    handler: ({ params }) => actions.get(params.key),
  });
  api.route({
    method: 'patch',
    path: '/actions/:key',
    tag: 'actions',
    summary: 'Change an action; send back the version you read (409 when stale). Status changes go through transitions',
    params: actionKeyParams,
    body: patchActionBody,
    response: actionView,
    handler: ({ params, body, req }) => actions.patch(params.key, body, actorOf(req)),
  });
  api.route({
    method: 'post',
    path: '/actions/:key/transitions',
    tag: 'actions',
    summary: 'Move an action through open → in_progress → done → verified (or blocked, wont_fix, reopen)',
    permission: 'actions:transition',
    params: actionKeyParams,
    body: transitionBody,
    response: actionView,
    handler: ({ params, body, req }) => actions.transition(params.key, body, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/actions/:key/history',
    tag: 'actions',
    summary: "Every change to an action: who, when, field, before → after",
    params: actionKeyParams,
    response: historyView,
    handler: ({ params }) => actions.history(params.key),
  });
}
