import express, { type Router } from 'express';
import { renderPage, requireSignIn } from '../http/pages.js';
import type { Services } from '../services.js';

/** Every open corrective action across incidents, soonest due first. */
export function actionPages(services: Services): Router {
  const router = express.Router();
  router.get('/actions', requireSignIn, async (req, res) => {
    const [list, stats] = await Promise.all([
      services.actions.list({ status: ['open', 'in_progress', 'blocked'], sort: 'dueDate', page: 1, pageSize: 200 } as Parameters<typeof services.actions.list>[0]),
      services.actions.stats({} as Parameters<typeof services.actions.stats>[0]),
    ]);
    renderPage(services, req, res, 'actions', { title: 'Actions', items: list.items, total: list.total, overdue: stats.overdue, unowned: stats.unowned });
  });
  return router;
}
