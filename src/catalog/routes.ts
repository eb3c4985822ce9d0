import { z } from 'zod';
import { actorOf } from '../http/actor.js';
import type { Api } from '../http/api.js';
import { createServiceBody, deleteServiceQuery, patchServiceBody, serviceList, serviceParams, serviceView as serviceViewSchema } from './schemas.js';
import { serviceView, type ServiceCatalog } from './service.js';

/** /api/v1/services: the service catalog; everyone signed in reads it, editors and admins keep it. */
export function catalogRoutes(api: Api, { catalog }: { catalog: ServiceCatalog }): void {
  api.route({
    method: 'get',
    path: '/services',
    tag: 'catalog',
    summary: 'List the service catalog: each service with its owner team and the availability system it counts toward',
    permission: 'read',
    response: serviceList,
    handler: async () => {
      const items = (await catalog.list()).map(serviceView);
      return { items, total: items.length };
    },
  });
  api.route({
    method: 'post',
    path: '/services',
    tag: 'catalog',
    summary: 'Add a service to the catalog (409 when the name, compared without case, is taken)',
    permission: 'incidents:write',
    body: createServiceBody,
    status: 201,
    response: serviceViewSchema,
    handler: async ({ req, body }) => serviceView(await catalog.create(body, actorOf(req))),
  });
  api.route({
    method: 'get',
    path: '/services/:name',
    tag: 'catalog',
    summary: 'Read one service of the catalog',
    permission: 'read',
    params: serviceParams,
    response: serviceViewSchema,
    handler: async ({ params }) => serviceView(await catalog.find(params.name)),
  });
  api.route({
    method: 'patch',
    path: '/services/:name',
    tag: 'catalog',
    summary: "Change a service's owner team, system or description (null clears one); the version read guards against lost changes",
    permission: 'incidents:write',
    params: serviceParams,
    body: patchServiceBody,
    response: serviceViewSchema,
    handler: async ({ req, params, body }) => serviceView(await catalog.update(params.name, body, actorOf(req))),
  });
  api.route({
    method: 'delete',
    path: '/services/:name',
    tag: 'catalog',
    summary: 'Remove a service from the catalog (incidents keep naming it; it then counts as AVAILABILITY_SYSTEMS says, or toward no system)',
    permission: 'incidents:write',
    params: serviceParams,
    query: deleteServiceQuery,
    response: z.object({ name: z.string(), removed: z.literal(true) }),
    handler: async ({ req, params, query }) => {
      await catalog.remove(params.name, query.version, actorOf(req));
      return { name: params.name, removed: true as const };
    },
  });
}
