import express, { type Request, type Response, type Router } from 'express';
import { DateTime } from 'luxon';
import { readFileSync } from 'node:fs';
import { moveForm, moves } from '../actions/moves.js';
import { ACTION_PRIORITIES, ACTION_TYPES } from '../actions/schemas.js';
import type { ActionsService } from '../actions/service.js';
import { diffFields } from '../audit/diff.js';
import type { ServiceCatalog } from '../catalog/service.js';
import { formatTime, localMessage, term } from '../documents/format.js';
import { markdownToHtml } from '../documents/markdown.js';
import type { DocumentsService } from '../documents/service.js';
import { isUiKey, ui, type UiKey } from '../documents/ui-strings.js';
import { formMessage } from '../http/form-errors.js';
import { type HttpError } from '../http/errors.js';
import type { Clock } from '../lib/clock.js';
import { BadRequest, type FieldError } from '../lib/errors.js';
import { allow, formPost, formText, LANGUAGE_NAMES, listLink, pageLocale, pageQueryOf, peopleOptions, renderPage, requireSignIn, type PageContext, type PeopleContext } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import { LOCALES, type Locale } from '../lib/config.js';
import { fromPackageRoot } from '../lib/paths.js';
import type { Revisions } from '../lib/revisions.js';
import { SECTIONS } from '../reviews/schemas.js';
import type { CommentsService } from '../reviews/comments.js';
import { REQUESTABLE, type ReviewsService } from '../reviews/service.js';
import { can } from '../users/permissions.js';
import { toFields } from './convert.js';
import { changedLabels, formErrors, formFromIncident, formRows, incidentFromForm, patchFromForm, type FormValues } from './form.js';
import type { IncidentDoc } from './model.js';
import type { IncidentsService } from './service.js';
import { createIncidentBody, DETECTION_SOURCES, INCIDENT_STATUSES, listIncidentsQuery, patchIncidentBody, SORTABLE, WINDOW_FIELDS } from './schemas.js';

const FORM_SCRIPT = readFileSync(fromPackageRoot('templates/assets/incident-form.js'), 'utf8');
const PAGE_SIZES = [20, 50, 100];

/** The body of a form post as form values (urlencoded: a repeated field is a list). */
const formOf = (req: Request) => (req.body ?? {}) as FormValues;

/** A form refusal: the schema's errors and the form's own, in one 400. */
function parseWithFormErrors<T>(parse: () => T, errors: { field: string; message: string }[]): T {
  let input: T;
  try {
    input = parse();
  } catch (err) {
    if (err instanceof BadRequest) throw new BadRequest(err.message, [...errors, ...err.fields]);
    throw err;
  }
  if (errors.length) throw new BadRequest('Invalid incident', errors);
  return input;
}

/**
 * What the incident pages read: the incident with its actions, review, comments and live document, the
 * catalog's service names and the people picker. The postmortem page is also shown by the action and
 * review forms' refusals, so they take the same.
 */
export type IncidentPageContext = PageContext &
  PeopleContext & {
    incidents: IncidentsService;
    actions: ActionsService;
    reviews: ReviewsService;
    comments: CommentsService;
    catalog: ServiceCatalog;
    documents: DocumentsService;
    clock: Clock;
  };

/** The incident form, for filing (`incident` absent) or editing; `stale` lists what changed since the person read it. */
async function renderForm(
  services: IncidentPageContext,
  req: Request,
  res: Response,
  values: FormValues,
  opts: { incident?: IncidentDoc; version?: number; error?: HttpError; stale?: string[] } = {},
): Promise<void> {
  const { config } = services;
  const levels = config.SEVERITY_LEVELS;
  const locale = pageLocale(config, req);
  const { byField, other } = formErrors(opts.error?.fields ?? [], locale);
  const { incident, error, stale } = opts;
  const [people, serviceNames] = await Promise.all([peopleOptions(services), services.catalog.suggestions()]);
  const text = (name: string) => values[name] as string | undefined;
  renderPage(
    services,
    req,
    res,
    'incident-form',
    {
      title: incident ? ui(locale, 'incidentEdit.title', { key: incident.key }) : ui(locale, 'incidentNew.title'),
      incident,
      action: incident ? `/incidents/${incident.key}/edit` : '/incidents/new',
      version: opts.version ?? incident?.version,
      values,
      rows: formRows(values),
      errors: byField,
      // A refusal of no field (a status the record cannot take) is shown as the service said it.
      error: error && { message: stale ? ui(locale, 'incidentEdit.stale') : ui(locale, 'form.notSaved'), other: error.fields.length || stale ? other : [localMessage(error, locale)] },
      stale,
      peopleOptions: people,
      serviceNames,
      locales: LOCALES.map((l) => ({ value: l, name: LANGUAGE_NAMES[l] })),
      severities: levels.map((level, i) => ({ level, note: i === 0 ? ui(locale, 'incidentNew.mostSevere') : i === levels.length - 1 ? ui(locale, 'incidentNew.leastSevere') : undefined })),
      statuses: INCIDENT_STATUSES,
      sources: DETECTION_SOURCES,
      priorities: ACTION_PRIORITIES,
      types: ACTION_TYPES,
      window: WINDOW_FIELDS.map((name) => ({ name, label: ui(locale, `window.${name}`), localTime: text(name), day: text(`${name}Day`), error: byField[name] })),
    },
    error?.status ?? 200,
  );
}

/**
 * The postmortem page: the rendered document (without its own action table and "generated" line: the
 * live list below has them), its actions with their forms, review and comment threads, and the forms
 * the viewer's role may use. `notice` is a refusal from a form post, shown in a box with its status;
 * `values` keeps what was typed in the form that was refused (`form` names it).
 */
export async function renderIncident(
  services: IncidentPageContext,
  req: Request,
  res: Response,
  key: string,
  notice?: HttpError,
  kept?: { form: string; values: FormValues },
): Promise<void> {
  const { incidents, actions, reviews, comments } = services;
  const actor = req.actor!;
  const locale = pageLocale(services.config, req);
  const incident = await incidents.find(key);
  // A refusal of a form on this page (comment, review, action) is shown again here (renderPage).
  res.locals.formAddress ??= `/incidents/${incident.key}`;
  const [review, threads, list, people, unknown] = await Promise.all([
    reviews.get(incident.key),
    comments.threads(incident),
    actions.listForIncident(incident._id),
    peopleOptions(services),
    services.catalog.unknown(incident.services ?? []),
  ]);
  const text = services.documents.renderLive(incident, list, locale);
  const doc = (format: string, extra: Record<string, string> = {}) => `/api/v1/incidents/${incident.key}/document?${new URLSearchParams({ format, ...extra })}`;
  const otherLocale = LOCALES.find((l) => l !== locale)!;
  const now = DateTime.fromJSDate(services.clock.now());
  // When each comment was written, relative to now in the reader's words; the exact time goes in its title.
  const ago = (at: string) => (Math.abs(now.diff(DateTime.fromISO(at)).as('seconds')) < JUST_NOW_S ? ui(locale, 'comments.justNow') : (DateTime.fromISO(at).toRelative({ base: now, locale }) ?? at));
  const editable = can(actor.role, 'incidents:write');
  renderPage(
    services,
    req,
    res,
    'incident',
    {
      title: `${incident.key} ${incident.title}`,
      incident,
      documentHtml: markdownToHtml(text),
      // Accepted on filing, but counted toward no system until the catalog (or AVAILABILITY_SYSTEMS) maps it.
      notInCatalog: unknown.map((name) => ({ name, addHref: `/catalog/new?${new URLSearchParams({ name })}` })),
      documents: {
        printable: doc('html', { locale }),
        other: doc('html', { locale: otherLocale }),
        otherLocale,
        otherName: LANGUAGE_NAMES[otherLocale],
        markdown: doc('md', { locale }),
        weekly: doc('md', { template: 'weekly-entry', locale: 'zh-CN' }),
      },
      review,
      reviewStatus: reviewStatusText(incident, review, locale, actor.timezone),
      // A new round proposes the last round's reviewers (still editable): they know the postmortem.
      proposedReviewers: review.reviewers.map((r) => r.email).join(', '),
      threads: threads.map((t) => ({ ...t, ago: ago(t.createdAt), replies: t.replies?.map((r) => ({ ...r, ago: ago(r.createdAt) })) })),
      actions: list.map((a) => ({
        ...a,
        moves: moves(actor, a, incident.owner, locale).map((m) => (kept?.form === moveForm(a.key, m.to) ? { ...m, refused: true, values: kept.values } : m)),
        editable: editable && a.status !== 'verified',
        refused: kept?.form === a.key,
        form:
          kept?.form === a.key
            ? kept.values
            : { title: a.title, owner: a.owner ?? '', dueDate: a.dueDate ?? '', priority: a.priority, type: a.type, team: a.team ?? '', ticketKey: a.ticket?.key ?? '', ticketUrl: a.ticket?.url ?? '' },
      })),
      newAction:
        editable && incident.status !== 'closed'
          ? { refused: kept?.form === 'new-action', values: kept?.form === 'new-action' ? kept.values : { priority: 'medium', type: 'other' } }
          : undefined,
      peopleOptions: people,
      priorities: ACTION_PRIORITIES,
      types: ACTION_TYPES,
      sections: SECTIONS.filter((s) => s !== 'action'),
      forms: {
        edit: editable,
        request: can(actor.role, 'reviews:request') && REQUESTABLE.includes(review.status),
        publish: can(actor.role, 'reviews:request') && review.status === 'approved',
        decide: can(actor.role, 'reviews:decide') && review.status === 'in_review' && review.reviewers.some((r) => r.email === actor.email),
      },
      notice: notice && { status: notice.status, message: localMessage(notice, locale), fields: noticeFields(notice.fields, locale) },
      // What was typed in a refused review or comment form, put back in it.
      typed: kept && TYPED_FORMS.includes(kept.form) ? { [kept.form]: kept.values } : {},
    },
    notice?.status ?? 200,
  );
}

/** Under this many seconds a comment was written "just now" (Luxon would say "in 0 seconds"). */
const JUST_NOW_S = 45;

/** The review and comment forms of the page whose typing a refusal puts back (`kept.form`). */
const TYPED_FORMS = ['reviewRequest', 'reviewDecision', 'reviewPublish', 'comment'];

/**
 * The review status as the page says it: a published postmortem edited after it was published says so,
 * with when, since the page then shows more than the published snapshot.
 */
export function reviewStatusText(incident: IncidentDoc, review: Awaited<ReturnType<ReviewsService['get']>>, locale: Locale, zone: string): string {
  const status = term('reviewStatus', review.status, locale);
  if (review.status !== 'published' || review.publishedVersion === null || incident.version <= review.publishedVersion) return status;
  const date = (at: Date | string) => formatTime(new Date(at).toISOString(), 'date', zone);
  return ui(locale, 'review.publishedEditedSince', { published: date(review.publishedAt!), edited: date(incident.updatedAt) });
}

/** The action form's inputs by the API field they set, so a refusal names what the person filled in. */
const ACTION_FIELD_LABELS: Partial<Record<string, UiKey>> = {
  title: 'col.title',
  owner: 'col.owner',
  dueDate: 'action.dueField',
  priority: 'col.priority',
  type: 'col.type',
  team: 'action.team',
  'ticket.key': 'action.ticketKey',
  'ticket.url': 'action.ticketUrl',
  note: 'action.whatChanged',
  evidence: 'action.evidenceField',
  reason: 'action.reasonField',
  recheckOn: 'action.recheckOn',
  recurredIn: 'action.recurredIn',
  actor: 'col.verifier',
};

/** A refusal's fields for the box on the page: an action form's in the person's words, others as the service said them. */
function noticeFields(fields: FieldError[], locale: Locale): FieldError[] {
  return fields.map((f) => {
    const key = ACTION_FIELD_LABELS[f.field.replace(/\.\d+$/, '')];
    if (key) return { field: ui(locale, key), message: formMessage(f, locale, (p) => p) };
    // A review request's reviewers are named by their place in the list, as typed.
    const reviewer = /^reviewers\.(\d+)$/.exec(f.field);
    // What a review still needs is named by the document's section.
    const section = f.field === 'actions' ? 'action' : f.field;
    const field = reviewer ? ui(locale, 'said.reviewerField', { n: Number(reviewer[1]) + 1 }) : isUiKey(`term.section.${section}`) ? term('section', section, locale) : f.field;
    return { field, message: localMessage(f, locale) };
  });
}

/** A page of the incident list from the page's query: filters as the API takes them, page links keep them. */
async function renderList(services: IncidentPageContext, req: Request, res: Response): Promise<void> {
  const { incidents, actions, config } = services;
  const locale = pageLocale(config, req);
  const q = pageQueryOf(req, ['q', 'status', 'severity', 'service', 'tag', 'owner', 'from', 'to', 'sort', 'page', 'pageSize']);
  const query = parseOr400(
    listIncidentsQuery,
    {
      q: q.q,
      status: q.status,
      severity: q.severity,
      service: q.service,
      tag: q.tag,
      owner: q.owner,
      startedFrom: q.from,
      startedTo: q.to,
      sort: q.sort || undefined,
      page: q.page || undefined,
      pageSize: q.pageSize || undefined,
    },
    'filters',
  );
  const { severity: _s, page: _p, ...otherFilters } = query;
  const [list, bySeverity] = await Promise.all([
    incidents.list(query),
    // The count of each level under the other filters, each a link that narrows the list to it.
    Promise.all(config.SEVERITY_LEVELS.map(async (level) => ({ level, total: (await incidents.list({ ...otherFilters, severity: [level], page: 1, pageSize: 1 })).total }))),
  ]);
  const counts = await actions.openCountsByIncident(list.items.map((i) => i.key));
  const link = (change: Record<string, string | number | undefined>) => listLink('/incidents', q, change);
  const pages = Math.max(1, Math.ceil(list.total / query.pageSize));
  renderPage(services, req, res, 'incidents', {
    title: ui(locale, 'incidents.title'),
    items: list.items.map((i) => ({
      ...i,
      started: i.window?.startedAt?.replace('T', ' '),
      // Each tag narrows the list to it.
      tagLinks: (i.tags ?? []).map((tag) => ({ tag, href: link({ tag, page: undefined }) })),
      open: counts.get(i.key)?.open ?? 0,
      overdue: counts.get(i.key)?.overdue ?? 0,
      unowned: counts.get(i.key)?.unowned ?? 0,
    })),
    total: list.total,
    q,
    filtered: Object.entries(q).some(([k, v]) => v && !['sort', 'pageSize', 'page'].includes(k)),
    severities: bySeverity.map((s) => ({ ...s, selected: q.severity === s.level, href: link({ severity: q.severity === s.level ? undefined : s.level, page: undefined }) })),
    statuses: INCIDENT_STATUSES,
    sorts: SORTABLE.flatMap((s) => [`-${s}`, s]).map((s) => ({ value: s, label: ui(locale, 'sort.by', { field: ui(locale, `sort.${s.replace(/^-/, '')}` as 'sort.key'), dir: ui(locale, s.startsWith('-') ? 'sort.desc' : 'sort.asc') }) })),
    sort: query.sort,
    pageSizes: PAGE_SIZES,
    pageSize: query.pageSize,
    page: query.page,
    pages,
    previous: query.page > 1 ? link({ page: query.page - 1 }) : undefined,
    next: query.page < pages ? link({ page: query.page + 1 }) : undefined,
  });
}

/** Incident list, the incident form (file and edit) and the postmortem page. */
export function incidentPages(services: IncidentPageContext & { revisions: Revisions }): Router {
  const { incidents, config, revisions } = services;
  const router = express.Router();

  router.get('/assets/incident-form.js', (_req, res) => {
    res.type('text/javascript').set('cache-control', 'public, max-age=3600').send(FORM_SCRIPT);
  });

  router.get(['/', '/incidents'], requireSignIn, (req, res) => renderList(services, req, res));

  router.get('/incidents/new', requireSignIn, async (req, res) => {
    allow(req, 'incidents:write');
    const levels = config.SEVERITY_LEVELS;
    await renderForm(services, req, res, { severity: levels[levels.length - 1], status: 'investigating', timezone: config.DEFAULT_TIMEZONE, locale: pageLocale(config, req) });
  });

  router.post(
    '/incidents/new',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        // The same schema and service as POST /api/v1/incidents; the form's own errors join the schema's.
        const { body, errors } = incidentFromForm(formOf(req), pageLocale(config, req), true);
        const input = parseWithFormErrors(() => parseOr400(createIncidentBody, body, 'incident'), errors);
        return `/incidents/${(await incidents.create(input, actor)).key}`;
      },
      (req, res, error) => renderForm(services, req, res, formOf(req), { error }),
    ),
  );

  router.get('/incidents/:key/edit', requireSignIn, async (req, res) => {
    allow(req, 'incidents:write');
    const incident = await incidents.find(String(req.params.key));
    await renderForm(services, req, res, formFromIncident(toFields(incident)), { incident });
  });

  // As PATCH /api/v1/incidents/:key with the version the form was read at: a stale save is shown with what changed meanwhile, and what was typed kept.
  router.post(
    '/incidents/:key/edit',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        const incident = await incidents.find(String(req.params.key));
        const { body, errors } = incidentFromForm(formOf(req), pageLocale(config, req), false);
        const version = Number(formText(req.body, 'version'));
        const patch = patchFromForm(toFields(incident), body, Number.isInteger(version) ? version : incident.version);
        const input = parseWithFormErrors(() => parseOr400(patchIncidentBody, patch, 'incident'), errors);
        await incidents.patch(incident.key, input, actor);
        return `/incidents/${incident.key}`;
      },
      async (req, res, error) => {
        const incident = await incidents.find(String(req.params.key));
        const read = Number(formText(req.body, 'version'));
        if (error.status !== 409 || !Number.isInteger(read) || read === incident.version) {
          return renderForm(services, req, res, formOf(req), { incident, version: read, error });
        }
        // Stale: what changed between the version the person read and now; their values stay, the new version goes with the next save.
        const before = await revisions.stateAt('incident', incident, read);
        const changes = before ? diffFields(toFields({ ...before, _id: incident._id }), toFields(incident)) : [];
        // A section added or removed whole is named by the fields in it.
        const keysOf = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);
        const changed = changes.flatMap((c) => {
          const inner = [...new Set([...keysOf(c.from), ...keysOf(c.to)])];
          return inner.length ? inner.map((k) => `${c.field}.${k}`) : [c.field];
        });
        await renderForm(services, req, res, formOf(req), { incident, version: incident.version, error, stale: changedLabels(changed, pageLocale(config, req)) });
      },
    ),
  );

  router.get('/incidents/:key', requireSignIn, (req, res) => renderIncident(services, req, res, String(req.params.key)));

  return router;
}
