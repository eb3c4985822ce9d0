import { z } from 'zod';
import type { Api } from '../http/api.js';
import { actorOf } from '../http/actor.js';
import { pageQuery } from '../http/paging.js';
import type { UsersService } from './service.js';
import type { AuditService } from '../audit/service.js';
import { createTokenBody, createUserBody, patchUserBody, tokenParams, userParams } from './schemas.js';
import { userView } from './service.js';
import { auditView, newTokenView, tokenView, userView as userViewSchema } from '../http/responses.js';

export function userRoutes(api: Api, { users, audit }: { users: UsersService; audit: AuditService }): void {
  api.route({
    method: 'get',
    path: '/me',
    tag: 'people',
    summary: 'Read who you are signed in as',
    permission: 'self',
    response: userViewSchema,
    handler: async ({ req }) => userView(await users.find(actorOf(req).id)),
  });
  api.route({
    method: 'get',
    path: '/me/tokens',
    tag: 'people',
    summary: 'List your API tokens (never the tokens themselves)',
    permission: 'self',
    response: z.array(tokenView),
    handler: ({ req }) => users.listTokens(actorOf(req).id),
  });
  api.route({
    method: 'post',
    path: '/me/tokens',
    tag: 'people',
    summary: 'Create an API token for yourself; it is shown only in this answer',
    permission: 'self',
    body: createTokenBody,
    status: 201,
    response: newTokenView,
    handler: ({ req, body }) => users.issueToken(actorOf(req).id, body.name, actorOf(req)),
  });
  api.route({
    method: 'delete',
    path: '/me/tokens/:id',
    tag: 'people',
    summary: 'Revoke one of your API tokens',
    permission: 'self',
    params: tokenParams,
    response: tokenView,
    handler: ({ req, params }) => users.revokeToken(actorOf(req).id, params.id, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/users',
    tag: 'people',
    summary: 'List people',
    permission: 'admin',
    response: z.array(userViewSchema),
    handler: () => users.list(),
  });
  api.route({
    method: 'post',
    path: '/users',
    tag: 'people',
    summary: 'Add a person',
    permission: 'admin',
    body: createUserBody,
    status: 201,
    response: userViewSchema,
    handler: ({ req, body }) => users.create(body, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/users/:user',
    tag: 'people',
    summary: 'Read a person by email or id',
    permission: 'admin',
    params: userParams,
    response: userViewSchema,
    handler: async ({ params }) => userView(await users.find(params.user)),
  });
  api.route({
    method: 'patch',
    path: '/users/:user',
    tag: 'people',
    summary: "Change a person's name, role, time zone, locale, team or manager, or disable them",
    permission: 'admin',
    params: userParams,
    body: patchUserBody,
    response: userViewSchema,
    handler: ({ req, params, body }) => users.update(params.user, body, actorOf(req)),
  });
  api.route({
    method: 'post',
    path: '/users/:user/tokens',
    tag: 'people',
    summary: 'Issue an API token for a person; it is shown only in this answer',
    permission: 'admin',
    params: userParams,
    body: createTokenBody,
    status: 201,
    response: newTokenView,
    handler: ({ req, params, body }) => users.issueToken(params.user, body.name, actorOf(req)),
  });
  api.route({
    method: 'delete',
    path: '/users/:user/tokens/:id',
    tag: 'people',
    summary: "Revoke a person's API token",
    permission: 'admin',
    params: userParams.extend(tokenParams.shape),
    response: tokenView,
    handler: async ({ req, params }) => users.revokeToken(String((await users.find(params.user))._id), params.id, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/audit',
    tag: 'audit',
    summary: 'Read the audit log: every change, who made it, when, before and after',
    permission: 'admin',
    query: z.strictObject({
      incident: z.string().max(100).optional().describe('an incident key: its own changes and those of its actions, comments and reviews'),
      by: z.string().max(254).optional().describe("a person's email"),
      entity: z.enum(['incident', 'action', 'comment', 'review', 'user', 'token', 'service']).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      ...pageQuery,
      pageSize: z.coerce.number().int().min(1).max(500).default(100),
    }),
    response: auditView,
    handler: ({ query }) =>
      audit.list({ ...query, from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined }),
  });
}
