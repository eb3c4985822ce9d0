import express, { type Router } from 'express';
import { Types } from 'mongoose';
import { markdownToHtml } from '../documents/renderer.js';
import { renderPage, requireSignIn } from '../http/pages.js';
import type { Services } from '../services.js';

/** Incident list and the postmortem page (the rendered document, its review and comments). */
export function incidentPages(services: Services): Router {
  const { incidents, actions, documents, reviews, comments } = services;
  const router = express.Router();

  router.get('/', requireSignIn, async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 200) : undefined;
    const list = await incidents.list({ q, sort: '-startedAt', page: 1, pageSize: 100 });
    const items = await Promise.all(
      list.items.map(async (i) => ({ ...i, openActions: (await actions.openForIncident(new Types.ObjectId(i.id))).length })),
    );
    renderPage(services, req, res, 'incidents', { title: 'Incidents', items, total: list.total, q });
  });

  router.get('/incidents/:key', requireSignIn, async (req, res) => {
    const incident = await incidents.find(String(req.params.key));
    const { text } = await documents.render(incident.key, { template: 'postmortem', format: 'md', locale: req.actor!.locale as 'en' | 'zh-CN' });
    renderPage(services, req, res, 'incident', {
      title: `${incident.key} ${incident.title}`,
      incident,
      documentHtml: markdownToHtml(text),
      review: await reviews.get(incident.key),
      threads: await comments.threads(incident),
    });
  });

  return router;
}
