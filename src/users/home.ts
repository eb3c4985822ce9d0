import express, { type Router } from 'express';
import { OPEN_ACTION_STATUSES } from '../actions/schemas.js';
import { ui } from '../documents/ui-strings.js';
import type { ActionsService } from '../actions/service.js';
import { pageLocale, renderPage, requireSignIn, type PageContext } from '../http/pages.js';
import type { IncidentsService } from '../incidents/service.js';
import type { ReviewsService } from '../reviews/service.js';
import type { UsersService } from './service.js';

/**
 * A person's home (/me): their open actions by due date, the reviews waiting for their decision, the
 * incidents they own that are not closed, and their team's overdue and unowned counts (everyone's when
 * they have no team).
 */
export function homePage(services: PageContext & { actions: ActionsService; incidents: IncidentsService; reviews: ReviewsService; users: UsersService }): Router {
  const { actions, incidents, reviews, users, config } = services;
  const router = express.Router();
  router.get('/me', requireSignIn, async (req, res) => {
    const me = req.actor!;
    const person = await users.find(me.id);
    const [mine, waiting, owned, team] = await Promise.all([
      actions.list({ owner: me.email, status: [...OPEN_ACTION_STATUSES], sort: 'dueDate', page: 1, pageSize: 50 }),
      reviews.waitingFor(me.email),
      incidents.list({ owner: me.email, status: ['investigating', 'mitigated', 'resolved'], sort: '-startedAt', page: 1, pageSize: 50 }),
      actions.stats(person.team ? { team: person.team } : {}),
    ]);
    renderPage(services, req, res, 'home', {
      title: ui(pageLocale(config, req), 'home.title'),
      passwordSet: req.query.password === 'set',
      mine,
      waiting,
      owned,
      team: { name: person.team, overdue: team.overdue, unowned: team.unowned, open: team.open },
    });
  });
  return router;
}
