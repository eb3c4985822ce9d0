import { z } from 'zod';
import type { Api } from '../http/api.js';
import { actorOf } from '../http/actor.js';
import { incidentKeyParams } from '../incidents/schemas.js';
import type { DocumentsService } from './service.js';
import { documentQuery, previewBody, snapshotBody, snapshotParams } from './schemas.js';
import { previewView, snapshotListView, snapshotView, templatesView, variablesView } from '../http/responses.js';

export function documentRoutes(api: Api, { documents }: { documents: DocumentsService }): void {
  api.route({
    method: 'get',
    path: '/incidents/:key/document',
    tag: 'documents',
    summary: "Render an incident's document (postmortem, weekly-entry, or a user template) as markdown or HTML",
    params: incidentKeyParams,
    query: documentQuery,
    produces: ['text/markdown', 'text/html', 'text/plain'],
    response: z.string(),
    handler: async ({ params, query, res }) => {
      const { text, contentType } = await documents.render(params.key, query);
      res.type(contentType).send(text);
      return undefined;
    },
  });
  api.route({
    method: 'get',
    path: '/templates',
    tag: 'documents',
    summary: 'List templates, built-in and user (TEMPLATES_DIR), and which user ones override built-ins',
    response: templatesView,
    handler: async () => documents.templates(),
  });
  api.route({
    method: 'get',
    path: '/templates/variables',
    tag: 'documents',
    summary: 'Every variable and helper a document template can use',
    response: variablesView,
    handler: async () => documents.variables(),
  });
  api.route({
    method: 'post',
    path: '/templates/preview',
    tag: 'documents',
    summary: 'Render a template body against an incident (422 naming the line when the template is broken)',
    body: previewBody,
    response: previewView,
    handler: ({ body }) => documents.preview(body),
  });
  api.route({
    method: 'post',
    path: '/incidents/:key/snapshots',
    tag: 'documents',
    summary: "Freeze the incident's rendered documents as the next numbered, immutable snapshot",
    params: incidentKeyParams,
    body: snapshotBody,
    status: 201,
    response: snapshotView,
    handler: ({ params, body, req }) => documents.freeze(params.key, body, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/incidents/:key/snapshots',
    tag: 'documents',
    summary: "An incident's snapshots (without their texts)",
    params: incidentKeyParams,
    response: snapshotListView,
    handler: ({ params }) => documents.listSnapshots(params.key),
  });
  api.route({
    method: 'get',
    path: '/incidents/:key/snapshots/:n',
    tag: 'documents',
    summary: 'One snapshot with its texts and the data they were rendered from',
    params: snapshotParams,
    response: snapshotView,
    handler: ({ params }) => documents.getSnapshot(params.key, params.n),
  });
}
