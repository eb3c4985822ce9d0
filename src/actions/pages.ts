import express, { type Router } from 'express';
import { ui } from '../documents/ui-strings.js';
import { compact, formLines, formPost, formText, pageLocale, renderPage, requireSignIn } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import { renderIncident } from '../incidents/pages.js';
import type { Services } from '../services.js';
import { transitionBody } from './schemas.js';

/** Every open corrective action across incidents, soonest due first; the incident page's transition forms. */
export function actionPages(services: Services): Router {
  const router = express.Router();
  router.get('/actions', requireSignIn, async (req, res) => {
    const [list, stats] = await Promise.all([
      services.actions.list({ status: ['open', 'in_progress', 'blocked'], sort: 'dueDate', page: 1, pageSize: 200 } as Parameters<typeof services.actions.list>[0]),
      services.actions.stats({} as Parameters<typeof services.actions.stats>[0]),
    ]);
    renderPage(services, req, res, 'actions', { title: ui(pageLocale(services.config, req), 'actions.title'), items: list.items, total: list.total, overdue: stats.overdue, unowned: stats.unowned });
  });

  // As POST /api/v1/actions/:key/transitions: the service applies the lifecycle rules and who may move what.
  router.post(
    '/actions/:key/transitions',
    ...formPost(
      'actions:transition',
      async (req, actor) => {
        const f = (name: string) => formText(req.body, name);
        const form = { to: f('to'), note: f('note'), evidence: formLines(req.body, 'evidence'), reason: f('reason'), recheckOn: f('recheckOn'), version: f('version') && Number(f('version')) };
        const action = await services.actions.transition(String(req.params.key), parseOr400(transitionBody, compact(form), 'transition'), actor);
        return `/incidents/${action.incidentKey}#${action.key}`;
      },
      async (req, res, error) => renderIncident(services, req, res, (await services.actions.get(String(req.params.key))).incidentKey, error),
    ),
  );
  return router;
}
