import express, { type Request, type Router } from 'express';
import { ui } from '../documents/ui-strings.js';
import type { HttpError } from '../http/errors.js';
import { compact, formLines, formPost, formText, listLink, pageLocale, pageQueryOf, peopleOptions, renderPage, requireSignIn, safeNext } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import { renderIncident, type IncidentPageContext } from '../incidents/pages.js';
import { moveForm, moves } from './moves.js';
import { ACTION_PRIORITIES, ACTION_STATUSES, OPEN_ACTION_STATUSES, actionInput, listActionsQuery, patchActionBody, transitionBody } from './schemas.js';

/** The lists a person most often wants, each a set of the API's filters; "open" is the default. */
const VIEWS = ['open', 'mine', 'overdue', 'unowned', 'verify', 'all'] as const;
type View = (typeof VIEWS)[number];
const PAGE_SIZES = [20, 50, 100];

function viewFilters(view: View, me: string): Record<string, string> {
  switch (view) {
    case 'mine':
      return { owner: me, status: OPEN_ACTION_STATUSES.join(',') };
    case 'overdue':
      return { overdue: 'true' };
    case 'unowned':
      return { unowned: 'true', status: OPEN_ACTION_STATUSES.join(',') };
    case 'verify':
      return { status: 'done' };
    case 'all':
      return {};
    default:
      return { status: OPEN_ACTION_STATUSES.join(',') };
  }
}

/** The form fields of an action (adding one, or editing owner, due date, priority, type, team and ticket). */
function actionFields(req: Request) {
  const f = (name: string) => formText(req.body, name);
  return {
    title: f('title'),
    owner: f('owner'),
    priority: f('priority'),
    type: f('type'),
    team: f('team'),
    dueDate: f('dueDate'),
    ticket: f('ticketKey') || f('ticketUrl') ? compact({ key: f('ticketKey'), url: f('ticketUrl') }) : undefined,
  };
}

/** Open actions across incidents, with lists for "mine", overdue, unowned and awaiting verification; the forms that add, edit and move actions. */
export function actionPages(services: IncidentPageContext): Router {
  const { actions, incidents, users, config } = services;
  const router = express.Router();

  router.get('/actions', requireSignIn, async (req, res) => {
    const me = req.actor!;
    const locale = pageLocale(config, req);
    const q = pageQueryOf(req, ['view', 'owner', 'team', 'status', 'priority', 'q', 'sort', 'page', 'pageSize']);
    const view = (VIEWS as readonly string[]).includes(q.view ?? '') ? (q.view as View) : 'open';
    const base = viewFilters(view, me.email);
    const query = parseOr400(
      listActionsQuery,
      compact({ ...base, owner: q.owner || base.owner, team: q.team, status: q.status || base.status, priority: q.priority, q: q.q, sort: q.sort, page: q.page, pageSize: q.pageSize }),
      'filters',
    );
    const [list, stats, people, options] = await Promise.all([actions.list(query), actions.stats({}), users.list(), peopleOptions(services)]);
    const link = (change: Record<string, string | number | undefined>) => listLink('/actions', q, change);
    const pages = Math.max(1, Math.ceil(list.total / query.pageSize));
    renderPage(services, req, res, 'actions', {
      title: ui(locale, 'actions.title'),
      items: list.items.map((a) => ({ ...a, moves: moves(me, a, undefined, locale) })),
      total: list.total,
      stats,
      q: { ...q, view },
      views: VIEWS.map((v) => ({ view: v, current: v === view, href: link({ view: v === 'open' ? undefined : v, page: undefined, status: undefined }) })),
      peopleOptions: options,
      teams: [...new Set(people.map((p) => p.team).filter(Boolean))],
      statuses: ACTION_STATUSES,
      priorities: ACTION_PRIORITIES,
      pageSizes: PAGE_SIZES,
      pageSize: query.pageSize,
      page: query.page,
      pages,
      here: req.originalUrl,
      previous: query.page > 1 ? link({ page: query.page - 1 }) : undefined,
      next: query.page < pages ? link({ page: query.page + 1 }) : undefined,
    });
  });

  const refusedOnIncident = (form: (req: Request) => string, incidentKey: (req: Request) => Promise<string>) => async (req: Request, res: express.Response, error: HttpError) =>
    renderIncident(services, req, res, await incidentKey(req), error, { form: form(req), values: req.body as Record<string, string> });

  // As POST /api/v1/incidents/:key/actions.
  router.post(
    '/incidents/:key/actions/new',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        const action = await actions.create(String(req.params.key), parseOr400(actionInput, compact(actionFields(req)), 'action'), actor);
        return `/incidents/${action.incidentKey}#${action.key}`;
      },
      refusedOnIncident(() => 'new-action', async (req) => (await incidents.find(String(req.params.key))).key),
    ),
  );

  // As PATCH /api/v1/actions/:key: only what the form changed is sent, so an unchanged SLA date stays the SLA's.
  router.post(
    '/actions/:key/edit',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        const current = await actions.get(String(req.params.key));
        const form = actionFields(req);
        const was = { title: current.title, owner: current.owner ?? '', priority: current.priority, type: current.type, team: current.team ?? '', dueDate: current.dueDate ?? '' };
        const changes: Record<string, unknown> = {};
        for (const [field, before] of Object.entries(was)) {
          const value = form[field as keyof typeof was];
          if (value !== before) changes[field] = value === '' ? null : value;
        }
        if (JSON.stringify(form.ticket ?? null) !== JSON.stringify(current.ticket ?? null)) changes.ticket = form.ticket ?? null;
        const version = Number(formText(req.body, 'version'));
        const patch = parseOr400(patchActionBody, { version: Number.isInteger(version) ? version : current.version, ...changes }, 'action');
        const action = await actions.patch(current.key, patch, actor);
        return `/incidents/${action.incidentKey}#${action.key}`;
      },
      refusedOnIncident((req) => String(req.params.key), async (req) => (await actions.get(String(req.params.key))).incidentKey),
    ),
  );

  // As POST /api/v1/actions/:key/transitions: the service applies the lifecycle rules and who may move what.
  router.post(
    '/actions/:key/transitions',
    ...formPost(
      'actions:transition',
      async (req, actor) => {
        const f = (name: string) => formText(req.body, name);
        const form = { to: f('to'), note: f('note'), evidence: formLines(req.body, 'evidence'), reason: f('reason'), recheckOn: f('recheckOn'), recurredIn: f('recurredIn'), version: f('version') && Number(f('version')) };
        const action = await actions.transition(String(req.params.key), parseOr400(transitionBody, compact(form), 'transition'), actor);
        // From the actions page, back to that list; otherwise to the action's row on its incident.
        return f('next') ? safeNext(f('next')) : `/incidents/${action.incidentKey}#${action.key}`;
      },
      // Shown again as that move's form, open, with what was typed (see moveForm).
      refusedOnIncident((req) => moveForm(String(req.params.key), formText(req.body, 'to')), async (req) => (await actions.get(String(req.params.key))).incidentKey),
    ),
  );
  return router;
}
