import type { Api } from '../http/api.js';
import { actorOf } from '../http/actor.js';
import type { IncidentsService } from './service.js';
import { createIncidentBody, incidentKeyParams, listIncidentsQuery, patchIncidentBody } from './schemas.js';
import { z } from 'zod';
import { actionView, incidentView, listOf } from '../http/responses.js';

export function incidentRoutes(api: Api, { incidents }: { incidents: IncidentsService }): void {
  api.route({
    method: 'post',
    path: '/incidents',
    tag: 'incidents',
    summary: 'File an incident (with its corrective actions)',
    body: createIncidentBody,
    status: 201,
    response: incidentView,
    handler: ({ body, req }) => incidents.create(body, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/incidents',
    tag: 'incidents',
    summary: 'List incidents with filters, sort and pagination',
    query: listIncidentsQuery,
    response: listOf(incidentView),
    handler: ({ query }) => incidents.list(query),
  });
  api.route({
    method: 'get',
    path: '/incidents/:key',
    tag: 'incidents',
    summary: 'Read an incident by key (INC-2023-0001) or id',
    params: incidentKeyParams,
    response: incidentView,
    handler: ({ params }) => incidents.get(params.key),
  });
  api.route({
    method: 'patch',
    path: '/incidents/:key',
    tag: 'incidents',
    summary: 'Change an incident; send back the version you read (409 when stale)',
    params: incidentKeyParams,
    body: patchIncidentBody,
    response: incidentView,
    handler: ({ params, body, req }) => incidents.patch(params.key, body, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/incidents/:key/actions',
    tag: 'incidents',
    summary: "An incident's corrective actions",
    params: incidentKeyParams,
    response: z.array(actionView),
    handler: async ({ params }) => (await incidents.get(params.key)).actions,
  });
}
