import express, { type Request, type Response, type Router } from 'express';
import { Types } from 'mongoose';
import { ACTION_TRANSITIONS, mayAcceptWontFix, mayMove } from '../actions/service.js';
import { CLOSED_ACTION_STATUSES, type ActionStatus } from '../actions/schemas.js';
import { term } from '../documents/format.js';
import { markdownToHtml } from '../documents/renderer.js';
import { ui } from '../documents/ui-strings.js';
import type { Actor } from '../http/actor.js';
import { BadRequest, type FieldError, type HttpError } from '../http/errors.js';
import { compact, formLines, formPost, formText, pageLocale, renderPage, requireSignIn, allow } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import { SECTIONS } from '../reviews/schemas.js';
import { REQUESTABLE } from '../reviews/service.js';
import type { Locale } from '../lib/config.js';
import type { Services } from '../services.js';
import { can } from '../users/permissions.js';
import type { IncidentDoc } from './model.js';
import { createIncidentBody, INCIDENT_STATUSES, WINDOW_FIELDS } from './schemas.js';

/** Where an error on an API field (or anything under it) is shown on the form; list items by their line. */
const FORM_FIELDS: [apiPath: string, formField: string, item?: 'incidentNew.line' | 'incidentNew.service'][] = [
  ...WINDOW_FIELDS.map((f) => [`window.${f}`, f] as [string, string]),
  ['impact.summary', 'impact'],
  ['cause.trigger', 'trigger'],
  ['cause.rootCauses', 'rootCauses', 'incidentNew.line'],
  ['remediation.summary', 'remediation'],
  ['actions', 'actions', 'incidentNew.line'],
  ['services', 'services', 'incidentNew.service'],
  ['title', 'title'],
  ['severity', 'severity'],
  ['status', 'status'],
  ['timezone', 'timezone'],
];

/** The body POST /api/v1/incidents takes, from the form; a time and a day given for one moment is the form's own error. */
function incidentFromForm(form: unknown, locale: Locale): { body: Record<string, unknown>; errors: FieldError[] } {
  const f = (name: string) => formText(form, name);
  const window: Record<string, string> = {};
  const errors: FieldError[] = [];
  for (const w of WINDOW_FIELDS) {
    const [time, day] = [f(w), f(`${w}Day`)];
    if (time && day) errors.push({ field: `window.${w}`, message: ui(locale, 'incidentNew.timeOrDay') });
    else if (time || day) window[w] = time || day;
  }
  const body = compact({
    title: f('title'),
    severity: f('severity'),
    status: f('status'),
    timezone: f('timezone'),
    services: f('services').split(',').map((s) => s.trim()).filter(Boolean),
    window,
    impact: { summary: f('impact') },
    cause: { trigger: f('trigger'), rootCauses: formLines(form, 'rootCauses') },
    remediation: { summary: f('remediation') },
    actions: formLines(form, 'actions').map((title) => ({ title })),
  });
  return { body, errors };
}

/** Field errors by form field, each message next to its input; those of no input go in the box at the top. */
function errorsByField(fields: FieldError[], locale: Locale): { byField: Record<string, string>; other: FieldError[] } {
  const byField: Record<string, string> = {};
  const other: FieldError[] = [];
  for (const e of fields) {
    const match = FORM_FIELDS.find(([path]) => e.field === path || e.field.startsWith(`${path}.`));
    if (!match) {
      other.push(e);
      continue;
    }
    const [path, name, item] = match;
    const index = /^\.(\d+)/.exec(e.field.slice(path.length))?.[1];
    const message = item && index !== undefined ? `${ui(locale, item, { n: Number(index) + 1 })}: ${e.message}` : e.message;
    byField[name] = byField[name] ? `${byField[name]}; ${message}` : message;
  }
  return { byField, other };
}

function renderNewIncident(services: Services, req: Request, res: Response, values: Record<string, unknown>, error?: HttpError): void {
  const levels = services.config.SEVERITY_LEVELS;
  const locale = pageLocale(services.config, req);
  const { byField, other } = errorsByField(error?.fields ?? [], locale);
  renderPage(
    services,
    req,
    res,
    'incident-new',
    {
      title: ui(locale, 'incidentNew.title'),
      values,
      errors: byField,
      error: error && { message: error.message, fields: other },
      severities: levels.map((level, i) => ({ level, note: i === 0 ? ui(locale, 'incidentNew.mostSevere') : i === levels.length - 1 ? ui(locale, 'incidentNew.leastSevere') : undefined })),
      statuses: INCIDENT_STATUSES,
      window: WINDOW_FIELDS.map((name) => ({ name, label: ui(locale, `window.${name}`), localTime: values[name], day: values[`${name}Day`], error: byField[name] })),
    },
    error?.status ?? 200,
  );
}

/** What the viewer may do to an action, each with the inputs its rule asks for (the service checks again). */
function moves(actor: Actor, incident: IncidentDoc, action: { status: string; owner: string | null }, locale: Locale) {
  const from = action.status as ActionStatus;
  const closed = (s: ActionStatus) => CLOSED_ACTION_STATUSES.includes(s);
  return ACTION_TRANSITIONS[from]
    .filter((to) => mayMove(actor, { owner: action.owner ?? undefined }, to))
    .filter((to) => to !== 'wont_fix' || mayAcceptWontFix(actor, incident))
    .filter((to) => to !== 'verified' || actor.email !== action.owner)
    .map((to) => {
      const reopen = closed(from) && !closed(to);
      return {
        to,
        label: reopen ? ui(locale, 'move.reopen', { status: term('actionStatus', to, locale) }) : ui(locale, `move.${to}`),
        reason: reopen || to === 'blocked' || to === 'wont_fix',
        note: to === 'done',
        evidence: to === 'done' || to === 'verified',
        recheckOn: to === 'verified',
      };
    });
}

/**
 * The postmortem page: the rendered document, its actions, review and comment threads, and the forms
 * the viewer's role may use. `notice` is a refusal from a form post, shown in a box with its status.
 */
export async function renderIncident(services: Services, req: Request, res: Response, key: string, notice?: HttpError): Promise<void> {
  const { incidents, actions, documents, reviews, comments } = services;
  const actor = req.actor!;
  const locale = pageLocale(services.config, req);
  const incident = await incidents.find(key);
  const [{ text }, review, threads, list] = await Promise.all([
    documents.render(incident.key, { template: 'postmortem', format: 'md', locale }),
    reviews.get(incident.key),
    comments.threads(incident),
    actions.listForIncident(incident._id),
  ]);
  renderPage(
    services,
    req,
    res,
    'incident',
    {
      title: `${incident.key} ${incident.title}`,
      incident,
      documentHtml: markdownToHtml(text),
      review,
      threads,
      actions: list.map((a) => ({ ...a, moves: moves(actor, incident, a, locale) })),
      sections: SECTIONS.filter((s) => s !== 'action'),
      forms: {
        request: can(actor.role, 'reviews:request') && REQUESTABLE.includes(review.status),
        publish: can(actor.role, 'reviews:request') && review.status === 'approved',
        decide: can(actor.role, 'reviews:decide') && review.status === 'in_review' && review.reviewers.some((r) => r.email === actor.email),
      },
      notice: notice && { status: notice.status, message: notice.message, fields: notice.fields },
    },
    notice?.status ?? 200,
  );
}

/** Incident list, the new-incident form and the postmortem page. */
export function incidentPages(services: Services): Router {
  const { incidents, actions, config } = services;
  const router = express.Router();

  router.get('/', requireSignIn, async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 200) : undefined;
    const list = await incidents.list({ q, sort: '-startedAt', page: 1, pageSize: 100 });
    const items = await Promise.all(
      list.items.map(async (i) => ({ ...i, openActions: (await actions.openForIncident(new Types.ObjectId(i.id))).length })),
    );
    renderPage(services, req, res, 'incidents', { title: ui(pageLocale(config, req), 'incidents.title'), items, total: list.total, q });
  });

  router.get('/incidents/new', requireSignIn, (req, res) => {
    allow(req, 'incidents:write');
    const levels = config.SEVERITY_LEVELS;
    renderNewIncident(services, req, res, { severity: levels[levels.length - 1], status: 'investigating', timezone: config.DEFAULT_TIMEZONE });
  });

  router.post(
    '/incidents/new',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        // The same schema and service as POST /api/v1/incidents; the form's own error joins the schema's.
        const { body, errors } = incidentFromForm(req.body, pageLocale(config, req));
        let input;
        try {
          input = parseOr400(createIncidentBody, body, 'incident');
        } catch (err) {
          if (err instanceof BadRequest) throw new BadRequest(err.message, [...errors, ...err.fields]);
          throw err;
        }
        if (errors.length) throw new BadRequest('Invalid incident', errors);
        return `/incidents/${(await incidents.create(input, actor)).key}`;
      },
      async (req, res, error) => renderNewIncident(services, req, res, req.body as Record<string, unknown>, error),
    ),
  );

  router.get('/incidents/:key', requireSignIn, (req, res) => renderIncident(services, req, res, String(req.params.key)));

  return router;
}
