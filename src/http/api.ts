import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { can, PERMISSIONS, type Permission } from '../users/permissions.js';
import { actorOf } from './actor.js';
import { Forbidden } from '../lib/errors.js';
import { parseOr400 } from './validate.js';
import { errorView } from './responses.js';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** Express-style path relative to /api/v1, e.g. `/incidents/:key`. */
  path: string;
  summary: string;
  tag: string;
  /** Who may call it (see src/users/permissions.ts); defaults to `read` for GET and `incidents:write` otherwise. */
  permission?: Permission;
  params?: P;
  query?: Q;
  body?: B;
  /** Status of a successful JSON answer (default 200). */
  status?: number;
  /** Documented response body (src/http/responses.ts); a z.string() with `produces` means the route answers text only. Not validated at run time. */
  response: z.ZodType;
  /** Non-JSON content types the route can answer with, for the OpenAPI document. */
  produces?: string[];
  /** Returns the JSON body, or undefined when it wrote the response itself. */
  handler: (input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown>;
}

const empty = z.strictObject({});

export function permissionOf(spec: Pick<RouteSpec<z.ZodType, z.ZodType, z.ZodType>, 'method' | 'permission'>): Permission {
  return spec.permission ?? (spec.method === 'get' ? 'read' : 'incidents:write');
}

/**
 * One way to declare an API route: its schemas validate the request and document it in OpenAPI.
 */
export class Api {
  readonly router = Router();
  readonly specs: RouteSpec<z.ZodType, z.ZodType, z.ZodType>[] = [];

  route<P extends z.ZodType = typeof empty, Q extends z.ZodType = typeof empty, B extends z.ZodType = typeof empty>(
    spec: RouteSpec<P, Q, B>,
  ): void {
    this.specs.push(spec as unknown as RouteSpec<z.ZodType, z.ZodType, z.ZodType>);
    const permission = permissionOf(spec);
    this.router[spec.method](spec.path, async (req, res) => {
      const actor = actorOf(req);
      if (!can(actor.role, permission)) {
        throw new Forbidden(`A ${actor.role} may not ${spec.summary.charAt(0).toLowerCase()}${spec.summary.slice(1)} (needs ${PERMISSIONS[permission].join(' or ')})`);
      }
      const params = parseOr400(spec.params ?? z.object({}), req.params, 'path');
      const query = parseOr400(spec.query ?? empty, req.query ?? {}, 'query');
      const body = spec.body ? parseOr400(spec.body, req.body ?? {}, 'body') : undefined;
      const result = await spec.handler({ params, query, body, req, res } as RouteInput<z.output<P>, z.output<Q>, z.output<B>>);
      if (result !== undefined && !res.headersSent) res.status(spec.status ?? 200).json(result);
    });
  }

  openApi(info: { title: string; version: string; serverUrl: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.specs) {
      const oasPath = spec.path.replace(/:(\w+)/g, '{$1}');
      const parameters = [
        ...objectParameters(spec.params, 'path'),
        ...objectParameters(spec.query, 'query'),
      ];
      const textOnly = spec.response instanceof z.ZodString && !!spec.produces?.length;
      const text = Object.fromEntries((spec.produces ?? []).map((type) => [type, { schema: { type: 'string' } }]));
      const responses: Record<string, unknown> = {
        [String(spec.status ?? 200)]: {
          description: 'Success',
          content: textOnly ? text : { 'application/json': { schema: toSchema(spec.response, 'output') }, ...text },
        },
        ...Object.fromEntries(errorStatuses(spec).map((status) => [String(status), errorResponse(ERRORS[status]!)])),
        default: errorResponse('Any other error'),
      };
      (paths[`/api/v1${oasPath}`] ??= {})[spec.method] = {
        summary: spec.summary,
        description: `Roles: ${PERMISSIONS[permissionOf(spec)].join(', ')}.`,
        tags: [spec.tag],
        ...(parameters.length ? { parameters } : {}),
        ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(spec.body, 'input') } } } } : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version },
      servers: [{ url: info.serverUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      paths,
    };
  }
}

const errorSchema = toSchema(errorView, 'output');

/** An error answer as the OpenAPI document declares it, for routes described by hand. */
export const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });

const ERRORS: Record<number, string> = {
  400: 'Bad input: each bad field by path',
  401: 'Not signed in, or a bad token',
  403: 'The role may not do this (or a missing CSRF token with a session cookie)',
  404: 'No such record',
  405: 'The path has no such method (see Allow)',
  409: 'A stale version or a refused change of state',
  413: 'Body over 1 MB',
  415: 'Unknown body encoding or charset',
  422: 'Well-formed, but refused by a rule (or a rendering limit)',
  503: 'The database is not answering, or too many requests are waiting; retry after Retry-After seconds',
};

/** The error statuses a route can answer with, by what it takes. */
function errorStatuses(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>): number[] {
  const statuses = [400, 401, 403, 405, 503];
  if (spec.params) statuses.push(404);
  if (spec.body) statuses.push(409, 413, 415, 422);
  else if (spec.method !== 'get') statuses.push(409, 422);
  else if (spec.produces || spec.path.includes('/templates')) statuses.push(422);
  return statuses.sort((a, b) => a - b);
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

function objectParameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...(typeof (s as { description?: unknown }).description === 'string' ? { description: (s as { description: string }).description } : {}),
  }));
}
