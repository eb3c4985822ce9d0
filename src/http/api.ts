import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { can, PERMISSIONS, type Permission } from '../users/permissions.js';
import { actorOf } from './actor.js';
import { Forbidden } from './errors.js';
import { parseOr400 } from './validate.js';

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
  /** Documented response body; responses are not validated at run time. */
  response?: z.ZodType;
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
      const responses: Record<string, unknown> = {
        [String(spec.status ?? 200)]: {
          description: 'Success',
          content: {
            ...(spec.response ? { 'application/json': { schema: toSchema(spec.response, 'output') } } : { 'application/json': {} }),
            ...Object.fromEntries((spec.produces ?? []).map((type) => [type, {}])),
          },
        },
        default: { description: 'Error', content: { 'application/json': { schema: errorSchema } } },
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

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        status: { type: 'integer' },
        code: { type: 'string' },
        message: { type: 'string' },
        fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
};

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
