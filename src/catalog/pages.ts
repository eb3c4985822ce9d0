import express, { type Request, type Response, type Router } from 'express';
import { ui } from '../documents/ui-strings.js';
import type { HttpError } from '../http/errors.js';
import { formMessage } from '../http/form-errors.js';
import { localMessage } from '../documents/format.js';
import { allow, compact, formPost, formText, pageLocale, renderPage, requireSignIn, type PageContext } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import { createServiceBody, patchServiceBody } from './schemas.js';
import { serviceView, type ServiceCatalog, type ServiceView } from './service.js';

type Values = Record<string, string>;
const FIELDS = ['name', 'ownerTeam', 'system', 'description'] as const;
const valuesOf = (req: Request): Values => Object.fromEntries(FIELDS.map((f) => [f, formText(req.body, f)]));
const valuesOfService = (s: ServiceView): Values => ({ name: s.name, ownerTeam: s.ownerTeam ?? '', system: s.system ?? '', description: s.description ?? '' });
const pathOf = (name: string) => `/catalog/${encodeURIComponent(name)}`;

/**
 * The service catalog as pages: the list (everyone signed in), the add and edit forms and deletion
 * (editors and admins), through the same schemas and service as /api/v1/services.
 */
export function catalogPages(services: PageContext & { catalog: ServiceCatalog }): Router {
  const { catalog, config } = services;
  const router = express.Router();

  router.get('/catalog', requireSignIn, async (req, res) => {
    const locale = pageLocale(config, req);
    const listed = (await catalog.list()).map(serviceView);
    const inCatalog = new Set(listed.map((s) => s.name));
    // Services AVAILABILITY_SYSTEMS maps that the catalog does not hold: they count as configured until added.
    const configured = config.AVAILABILITY_SYSTEMS.flatMap((s) => s.services.filter((name) => !inCatalog.has(name)).map((name) => ({ name, system: s.name, addHref: `/catalog/new?${new URLSearchParams({ name })}` })));
    renderPage(services, req, res, 'catalog', { title: ui(locale, 'catalog.title'), services: listed.map((s) => ({ ...s, href: pathOf(s.name) })), configured });
  });

  const renderForm = async (req: Request, res: Response, values: Values, opts: { service?: ServiceView; error?: HttpError } = {}) => {
    const locale = pageLocale(config, req);
    const { service, error } = opts;
    const systems = (await catalog.systems()).map((s) => s.name);
    const fields = error?.fields ?? [];
    const byField = Object.fromEntries(fields.filter((f) => (FIELDS as readonly string[]).includes(f.field)).map((f) => [f.field, formMessage(f, locale, (p) => ui(locale, `catalog.${p}` as 'catalog.name'))]));
    renderPage(
      services,
      req,
      res,
      'catalog-form',
      {
        title: service ? ui(locale, 'catalog.editTitle', { name: service.name }) : ui(locale, 'catalog.addTitle'),
        service,
        action: service ? `${pathOf(service.name)}/edit` : '/catalog/new',
        deleteAction: service && `${pathOf(service.name)}/delete`,
        values,
        systems,
        errors: byField,
        error: error && { message: localMessage(error, locale), other: fields.filter((f) => !(f.field in byField)).map((f) => `${f.field}: ${localMessage(f, locale)}`) },
      },
      error?.status ?? 200,
    );
  };

  router.get('/catalog/new', requireSignIn, async (req, res) => {
    allow(req, 'incidents:write');
    // "Add to the catalog" from an incident page names the service.
    const name = typeof req.query.name === 'string' ? req.query.name.slice(0, 100) : '';
    await renderForm(req, res, { name });
  });

  router.post(
    '/catalog/new',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        const body = parseOr400(createServiceBody, compact(valuesOf(req)), 'service');
        await catalog.create(body, actor);
        return `/catalog#${encodeURIComponent(body.name)}`;
      },
      (req, res, error) => renderForm(req, res, valuesOf(req), { error }),
    ),
  );

  router.get('/catalog/:name/edit', requireSignIn, async (req, res) => {
    allow(req, 'incidents:write');
    const service = serviceView(await catalog.find(String(req.params.name)));
    await renderForm(req, res, valuesOfService(service), { service });
  });

  // As PATCH /api/v1/services/:name with the version the form was read at; an emptied field is cleared.
  router.post(
    '/catalog/:name/edit',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        const current = await catalog.find(String(req.params.name));
        const v = valuesOf(req);
        const cleared = (f: 'ownerTeam' | 'system' | 'description') => v[f] || null;
        const patch = parseOr400(patchServiceBody, { version: Number(formText(req.body, 'version')), ownerTeam: cleared('ownerTeam'), system: cleared('system'), description: cleared('description') }, 'service');
        await catalog.update(current._id, patch, actor);
        return `/catalog#${encodeURIComponent(current._id)}`;
      },
      async (req, res, error) => {
        const service = serviceView(await catalog.find(String(req.params.name)));
        await renderForm(req, res, { ...valuesOf(req), name: service.name }, { service, error });
      },
    ),
  );

  router.post(
    '/catalog/:name/delete',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        const version = Number(formText(req.body, 'version'));
        await catalog.remove(String(req.params.name), Number.isInteger(version) ? version : undefined, actor);
        return '/catalog';
      },
      async (req, res, error) => {
        res.locals.formAddress = `${pathOf(String(req.params.name))}/edit`;
        const service = serviceView(await catalog.find(String(req.params.name)));
        await renderForm(req, res, valuesOfService(service), { service, error });
      },
    ),
  );

  return router;
}
