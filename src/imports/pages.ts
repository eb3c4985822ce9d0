import express, { type Request, type Response, type Router } from 'express';
import { ui, type UiKey } from '../documents/ui-strings.js';
import { HttpError } from '../http/errors.js';
import { toHttpError } from '../http/error-handler.js';
import { localMessage } from '../documents/format.js';
import { BadRequest } from '../lib/errors.js';
import { allow, formLines, formText, pageLocale, renderPage, requireSignIn, type PageContext } from '../http/pages.js';
import type { Clock } from '../lib/clock.js';
import { INCIDENT_STATUSES, WINDOW_FIELDS, type CreateIncidentInput } from '../incidents/schemas.js';
import { parseOptions, parseWeeklyReports } from './parse.js';
import type { ImportChoices, ImportsService } from './service.js';
import type { ImportResult } from './schemas.js';

/** What the page's form carries besides each entry's fields. */
interface ImportForm {
  text: string;
  timezone?: string;
}

const FILE_TYPES = /\.(md|markdown|txt)$/i;

/** The page's one help from script (served from here, as the CSP allows only our own scripts): an unticked entry fades. */
const PAGE_SCRIPT = `for (const box of document.querySelectorAll('.import-entry input[name=include]')) {
  box.addEventListener('change', () => box.closest('.import-entry').classList.toggle('settled', !box.checked));
}
`;

/** The pasted text and the uploaded files, one after another (a BOM dropped), or a 400 naming a file of another kind. */
/** What the import page uses: the import itself, and the clock that dates what a report's week leaves open. */
type ImportPageContext = PageContext & { imports: ImportsService; clock: Clock };

function formReports(services: PageContext, req: Request): ImportForm {
  const locale = pageLocale(services.config, req);
  const files = (req.files ?? []).filter((f) => f.field === 'files');
  const bad = files.find((f) => !FILE_TYPES.test(f.filename));
  if (bad) throw new BadRequest(ui(locale, 'imports.badFile', { file: bad.filename }), [{ field: 'files', message: ui(locale, 'imports.badFile', { file: bad.filename }) }]);
  const text = [formText(req.body, 'text'), ...files.map((f) => f.data.toString('utf8').replace(/^\uFEFF/, ''))].filter((t) => t.trim()).join('\n\n');
  if (!text) throw new BadRequest(ui(locale, 'imports.nothing'), [{ field: 'text', message: ui(locale, 'imports.nothing') }]);
  const timezone = formText(req.body, 'timezone');
  return { text, ...(timezone ? { timezone } : {}) };
}

/**
 * The person's corrections, from the fields `e<index>.<name>` of each ticked entry: each replaces what the
 * parser proposed (a cleared time is dropped), and an unticked entry is left out.
 */
function formChoices(services: ImportPageContext, req: Request, form: ImportForm): ImportChoices {
  const { config, clock } = services;
  const timezone = form.timezone ?? config.DEFAULT_TIMEZONE;
  const { proposals } = parseWeeklyReports(form.text, parseOptions(config, timezone, clock.now()));
  const ticked = new Set([req.body?.include ?? []].flat().map(Number));
  const skip = new Set<number>();
  const edits = new Map<number, Partial<CreateIncidentInput>>();
  for (const { index, incident } of proposals) {
    if (!ticked.has(index)) {
      skip.add(index);
      continue;
    }
    const f = (name: string) => formText(req.body, `e${index}.${name}`);
    const window = Object.fromEntries(WINDOW_FIELDS.map((w) => [w, f(w)]).filter(([, v]) => v));
    const rootCauses = formLines(req.body, `e${index}.rootCauses`);
    const { rootCauses: _old, ...cause } = incident.cause ?? {};
    const { summary: _said, ...remediation } = incident.remediation ?? {};
    edits.set(index, {
      title: f('title'),
      severity: f('severity'),
      status: f('status') as CreateIncidentInput['status'],
      window,
      cause: { ...cause, ...(rootCauses.length ? { rootCauses } : {}) },
      remediation: { ...remediation, ...(f('remediation') ? { summary: f('remediation') } : {}) },
    });
  }
  return { skip, edits };
}

function renderImport(services: PageContext, req: Request, res: Response, data: { form?: ImportForm; result?: ImportResult; error?: HttpError }): void {
  const { config } = services;
  const locale = pageLocale(config, req);
  const { result, form, error } = data;
  const entries = result?.entries.map((e) => ({
    ...e,
    fresh: e.status === 'new',
    statusLabel: ui(locale, `imports.status.${e.status}` as UiKey),
    // Beside each source line, the fields it filled, so a reader sees what was read and what was not.
    lines: e.incident.source!.text.split('\n').map((text, i) => {
      const n = e.line + i;
      const read = e.reading.find((r) => r.line === n);
      return {
        n,
        text,
        warned: e.warnings.some((w) => w.line === n),
        unread: !!read && !read.fields.length,
        fields: (read?.fields ?? []).map((f) => ui(locale, `imports.field.${f}` as UiKey)).join(' · '),
      };
    }),
    warnings: e.warnings.map((w) => ({ line: w.line, message: localMessage(w, locale) })),
    window: WINDOW_FIELDS.map((name) => ({ name, label: ui(locale, `imports.${name}` as UiKey), value: e.incident.window?.[name] ?? '' })),
    rootCauses: (e.incident.cause?.rootCauses ?? []).join('\n'),
    severities: config.SEVERITY_LEVELS.map((level) => ({ level, selected: level === e.incident.severity })),
    noSeverity: !e.incident.severity,
    statuses: INCIDENT_STATUSES.map((status) => ({ status, selected: status === e.incident.status })),
  }));
  renderPage(
    services,
    req,
    res,
    'imports',
    {
      title: ui(locale, 'imports.title'),
      text: form?.text ?? '',
      timezone: form?.timezone ?? result?.timezone ?? config.DEFAULT_TIMEZONE,
      result: result && {
        ...result,
        warnings: result.warnings.map((w) => ({ line: w.line, message: localMessage(w, locale) })),
        entries,
        total: result.entries.length,
        fresh: result.entries.filter((e) => e.status === 'new').length,
        imported: result.entries.filter((e) => e.status === 'imported').length,
      },
      error: error && { message: error.message, fields: error.fields },
    },
    error?.status ?? 200,
  );
}

/**
 * The import page (editors): paste or upload weekly reports, preview the proposed incidents beside their
 * source lines and warnings, correct fields, untick entries, import. The same service as the API files them.
 */
export function importPages(services: ImportPageContext): Router {
  const { imports } = services;
  const router = express.Router();
  router.get('/imports/page.js', (_req, res) => {
    res.type('text/javascript').set('cache-control', 'max-age=3600').send(PAGE_SCRIPT);
  });
  router.get('/imports', requireSignIn, (req, res) => {
    allow(req, 'incidents:write');
    renderImport(services, req, res, {});
  });

  router.post('/imports/preview', requireSignIn, async (req, res) => {
    const actor = allow(req, 'incidents:write');
    let form: ImportForm | undefined;
    try {
      form = formReports(services, req);
      const result = await imports.weeklyReports({ ...form, dryRun: true }, actor);
      renderImport(services, req, res, { form, result });
    } catch (err) {
      const error = toHttpError(err);
      if (!error || error.status >= 500) throw err;
      renderImport(services, req, res, { form: form ?? { text: formText(req.body, 'text') }, error });
    }
  });

  router.post('/imports', requireSignIn, async (req, res) => {
    const actor = allow(req, 'incidents:write');
    const form: ImportForm = { text: formText(req.body, 'text'), ...(formText(req.body, 'timezone') ? { timezone: formText(req.body, 'timezone') } : {}) };
    let choices: ImportChoices | undefined;
    try {
      choices = formChoices(services, req, form);
      // Refusals are shown on the preview with the person's corrections, before anything is written.
      const preview = await imports.weeklyReports({ ...form, dryRun: true }, actor, choices);
      if (preview.entries.some((e) => e.status === 'new' && e.errors.length)) {
        const refused = new HttpError(422, 'unprocessable', ui(pageLocale(services.config, req), 'imports.refused'));
        return renderImport(services, req, res, { form, result: preview, error: refused });
      }
      const result = await imports.weeklyReports({ ...form, dryRun: false }, actor, choices);
      const locale = pageLocale(services.config, req);
      renderPage(services, req, res, 'imports-done', {
        title: ui(locale, 'imports.doneTitle'),
        entries: result.entries.filter((e) => e.status === 'filed' || e.status === 'imported').map((e) => ({ ...e, statusLabel: ui(locale, `imports.status.${e.status}` as UiKey) })),
        filed: result.filed.length,
        imported: result.entries.filter((e) => e.status === 'imported').length,
      });
    } catch (err) {
      const error = toHttpError(err);
      if (!error || error.status >= 500) throw err;
      renderImport(services, req, res, { form, error });
    }
  });
  return router;
}
