import express from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { actionRoutes } from './actions/routes.js';
import { catalogPages } from './catalog/pages.js';
import { catalogRoutes } from './catalog/routes.js';
import { channelPages } from './channels/pages.js';
import { channelRoutes, slackInteractionRoutes } from './channels/routes.js';
import { slackInteractionsDoc, webhookDocs } from './channels/schemas.js';
import { Api } from './http/api.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { multipartForm } from './http/multipart.js';
import { pageErrors } from './http/pages.js';
import { authenticate, csrf, parseCookies } from './http/auth.js';
import { allowedMethods, methodGuard } from './http/methods.js';
import { RETRY_AFTER_SECONDS, whileStoreDown } from './http/availability.js';
import { admission } from './http/admission.js';
import { reshowRefused } from './http/refused-forms.js';
import { documentRoutes } from './documents/routes.js';
import { importPages } from './imports/pages.js';
import { importRoutes } from './imports/routes.js';
import { incidentRoutes } from './incidents/routes.js';
import { linkPages, reminderRoutes } from './reminders/routes.js';
import { actionPages } from './actions/pages.js';
import { incidentPages } from './incidents/pages.js';
import { reviewPages } from './reviews/pages.js';
import { reviewRoutes } from './reviews/routes.js';
import { reportPages } from './reports/pages.js';
import { reportRoutes } from './reports/routes.js';
import { homePage } from './users/home.js';
import { accountPages } from './users/pages.js';
import { BACKCHANNEL_LOGOUT_PATH, oidcBackchannel, oidcPages } from './users/oidc-pages.js';
import { peoplePages } from './users/people-pages.js';
import { outboxPages } from './mail/pages.js';
import { userRoutes } from './users/routes.js';
import { pingDb } from './lib/db.js';
import { fromPackageRoot } from './lib/paths.js';
import { inRequestScope } from './lib/request-scope.js';
import type { Services } from './services.js';

const VERSION = '0.1.0';
const IMPORT_FORM_LIMIT = 5 * 1024 * 1024;
/** The API takes 1 MB of JSON. */
const API_BODY_LIMIT = 1024 * 1024;
/**
 * Page forms take what the API takes: URL-encoding writes each of a Chinese character's 3 UTF-8 bytes as
 * 3 characters (%E5), so 1 MB of text is up to 3 MB of form body (WHATWG URL standard, application/x-www-form-urlencoded serializing).
 */
const PAGE_FORM_LIMIT = 3 * API_BODY_LIMIT;
const ASSETS = fromPackageRoot('templates/assets');
const FORMS_SCRIPT = readFileSync(path.join(ASSETS, 'forms.js'), 'utf8');
const FAVICON = readFileSync(path.join(ASSETS, 'favicon.svg'), 'utf8');

/** Builds the express app from ready services; it neither listens nor connects. */
export function createApp(services: Services): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use((_req, res, next) => inRequestScope(next, res));
  // Sign-out posts a form that ends at the identity provider's logout page: the CSP lets that form go there.
  const issuer = services.config.OIDC_ISSUER;
  app.use(helmet({ contentSecurityPolicy: { directives: { formAction: ["'self'", ...(issuer ? [new URL(issuer).origin] : [])] } } }));
  app.use(
    pinoHttp({
      logger: services.logger,
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      genReqId: (req, res) => {
        const id = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 100)) || randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    // A store known to be down is said at once; otherwise the database is asked.
    const db = services.storeAvailable() && (await pingDb(services.conn));
    // Until the read model holds every record, a request would wait for the whole load: not ready yet, and
    // the load is started if nothing started it.
    const readModel = services.mirror.loaded;
    if (db && !readModel) void services.mirror.sync().catch((err: unknown) => services.logger.warn({ err }, 'read model did not load; the next request tries again'));
    const ready = db && readModel;
    if (!ready) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    // Mail is a detail, not readiness: failed messages are listed here and in the logs, and the service stays up.
    const mail = db ? await services.outbox.health() : undefined;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : db ? 'loading' : 'unavailable',
      checks: { database: db ? 'ok' : 'unreachable', readModel: readModel ? 'loaded' : 'loading', ...(mail ? { mail } : {}) },
    });
  });

  const api = new Api();
  incidentRoutes(api, services);
  actionRoutes(api, services);
  documentRoutes(api, services);
  userRoutes(api, services);
  reviewRoutes(api, services);
  reminderRoutes(api, services);
  reportRoutes(api, services);
  importRoutes(api, services);
  catalogRoutes(api, services);
  channelRoutes(api, services);
  const described = api.openApi({ title: 'Debrief API', version: VERSION, serverUrl: services.config.BASE_URL });
  const openApi = { ...described, paths: { ...(described.paths as object), ...slackInteractionsDoc() }, webhooks: webhookDocs() };
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  // Every page's form helper and the icon browsers ask for.
  app.get('/assets/forms.js', (_req, res) => {
    res.type('text/javascript').set('cache-control', 'public, max-age=3600').send(FORMS_SCRIPT);
  });
  app.get('/favicon.ico', (_req, res) => {
    res.type('image/svg+xml').set('cache-control', 'public, max-age=86400').send(FAVICON);
  });
  const pages = [accountPages(services), oidcPages(services), homePage(services), peoplePages(services), incidentPages(services), reviewPages(services), actionPages(services), reportPages(services), importPages(services), outboxPages(services), catalogPages(services), channelPages(services)];
  app.use(
    methodGuard(() => [
      { prefix: '', router: app.router },
      { prefix: '/api/v1', router: api.router },
      ...pages.map((router) => ({ prefix: '', router })),
    ]),
  );
  // Where a refused page form is shown again (renderPage): the nearest address a page answers with GET.
  const pageRouters = pages.map((router) => ({ prefix: '', router }));
  app.locals.hasPage = (at: string) => allowedMethods(pageRouters, at).includes('GET');
  // Requests in turn: here, and again after each body parser for requests whose body is still arriving.
  const inTurn = admission(services.config.MAX_CONCURRENT_REQUESTS, services.config.MAX_WAITING_REQUESTS);
  app.use(inTurn);
  app.use(whileStoreDown(services.storeAvailable));
  const csrfGuard = csrf(services.config);
  app.use(parseCookies, authenticate(services.users));
  app.use(reshowRefused(services.refusedForms));
  app.use('/api/v1', express.json({ limit: API_BODY_LIMIT }), inTurn, csrfGuard.api, api.router);
  // An unknown API path is a 404, never the pages' sign-in or CSRF check.
  app.use('/api', notFoundHandler);

  // The provider posts logout tokens server to server, with no page's CSRF token.
  app.use(BACKCHANNEL_LOGOUT_PATH, express.urlencoded({ extended: false, limit: '100kb' }), inTurn);
  oidcBackchannel(app, services.oidc);
  slackInteractionRoutes(app, services);
  app.use('/links', express.urlencoded({ extended: false, limit: PAGE_FORM_LIMIT }), inTurn);
  linkPages(app, services);
  // The import page's forms carry files (and whole reports), so they are multipart and may be larger.
  app.use('/imports', multipartForm(IMPORT_FORM_LIMIT));
  app.use(
    express.urlencoded({ extended: false, limit: PAGE_FORM_LIMIT }),
    inTurn,
    (req, res, next) => {
      res.locals.csrf = csrfGuard.token(req, res);
      next();
    },
    csrfGuard.forms,
    ...pages,
  );
  app.use(notFoundHandler);
  app.use(pageErrors(services));
  app.use(errorHandler(services.logger));
  return app;
}
