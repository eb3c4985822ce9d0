import express, { type Request, type Router } from 'express';
import { markdownToHtml } from '../documents/markdown.js';
import { ui } from '../documents/ui-strings.js';
import type { HttpError } from '../http/errors.js';
import { compact, formLines, formPost, formText, pageLocale, renderPage, requireSignIn, type PageContext } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import { renderSvg } from './charts.js';
import { CHART_NAMES, emailBody, metricBody, reportQuery, workItemsBody } from './schemas.js';
import type { PeriodMetrics } from './metrics.js';
import type { ReportSending } from './sending.js';
import type { ReportsService, ReportTemplate } from './service.js';

const CHART_WEEKS = 12;
const LINKED_KEYS = 30;
/**
 * The page writes out this many incidents' entries and links the rest to the incident list: a week of a
 * whole company's hundreds is not read on one page, and each entry costs its rendering. The markdown,
 * HTML and JSON downloads and the emailed report hold every entry.
 */
const ENTRIES_SHOWN = 20;
/** On the page a drill is a line starting with this (either language's prefix is read back). */
const DRILL_PREFIX = { en: 'drill: ', 'zh-CN': '演练：' } as const;
const DRILL_RE = /^(drill:\s*|演练[：:]\s*)/i;

/** The weekly and period reports as pages: a week or range picker, the report, its charts, the period's success-rate form. */
export function reportPages(services: PageContext & { reports: ReportsService; metrics: PeriodMetrics; reportSending: ReportSending }): Router {
  const router = express.Router();
  // A refused form shows why, naming each bad field, on the message page.
  const refused = async (req: Request, res: express.Response, error: HttpError) =>
    renderPage(services, req, res, 'message', { title: String(error.status), message: `${error.message}${error.fields.map((x) => ` ${x.field}: ${x.message}`).join(';')}` }, error.status);
  const page = (template: ReportTemplate) => async (req: Request, res: express.Response) => {
    // The picker sends its empty fields too (a week and blank dates): blank means not given.
    // sentEmails and sentChat are the send form's answer (below), not part of the report asked for.
    const { sentEmails, sentChat, ...asked } = req.query as Record<string, unknown>;
    const query = parseOr400(reportQuery, compact(asked), 'query');
    const readerLocale = pageLocale(services.config, req);
    const locale = query.locale ?? readerLocale;
    const { reports } = services;
    const { report, text } = await reports.render({ ...query, locale, format: 'md' }, template, { entries: ENTRIES_SHOWN });
    const period = reports.period(query);
    const { week } = period;
    const range: Record<string, string> = week ? { week: week.label } : { from: period.from, to: period.to };
    // A week's charts show the weeks leading up to it; a range's, its own weeks.
    const chartRange = week ? reports.period({ ...reports.lastWeeksBefore(week, CHART_WEEKS), timezone: period.zone }) : period;
    const data = await reports.load();
    const charts = CHART_NAMES.map((name) => {
      const chart = reports.chart(name, chartRange, data, locale);
      return { svg: renderSvg(chart), text: chart.text };
    });
    // The first keys as links (the counts are in the report; the actions page lists them all).
    const linked = (keys: string[]) => keys.slice(0, LINKED_KEYS).map((key) => ({ key, href: `/incidents/${key.replace(/-A\d+$/, '')}#${key}` }));
    const neighbours = week ? reports.neighbours(week) : undefined;
    const titleKey = template === 'weekly' ? 'report.title' : 'report.stabilityTitle';
    renderPage(services, req, res, 'report', {
      title: ui(readerLocale, titleKey, { period: week?.label ?? `${period.from} – ${period.to}` }),
      path: `/reports/${template}`,
      other: { path: template === 'weekly' ? '/reports/stability' : '/reports/weekly', label: ui(readerLocale, template === 'weekly' ? 'report.period' : 'report.title', { period: '' }).trim() },
      reportHtml: markdownToHtml(text),
      api: `/api/v1/reports/${template}?${new URLSearchParams({ ...range, timezone: period.zone, locale })}`,
      query: new URLSearchParams({ ...range, timezone: period.zone }).toString(),
      week: week?.label ?? '',
      weekExample: services.config.WEEK_NUMBERING === 'iso' ? '2023-W07' : '2023-08',
      from: period.from,
      to: period.to,
      ...(neighbours ? { previous: neighbours.previous.label, next: neighbours.next.label } : {}),
      overdue: linked(report.actions.overdue.keys),
      unowned: linked(report.actions.unowned.keys),
      charts,
      flows: await services.metrics.flows(),
      successRates: report.successRates,
      workItems: report.workItems.map((i) => (i.kind === 'drill' ? `${DRILL_PREFIX[locale]}${i.text}` : i.text)).join('\n'),
      exports: new URLSearchParams({ startedFrom: period.from, startedTo: period.to }).toString(),
      template,
      ...(typeof sentEmails === 'string' ? { sent: { emails: Number(sentEmails) || 0, messages: Number(sentChat) || 0 } } : {}),
    });
  };
  router.get('/reports/weekly', requireSignIn, page('weekly'));
  router.get('/reports/stability', requireSignIn, page('stability'));

  // As PUT /api/v1/reports/metrics.
  router.post(
    '/reports/metrics',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        const f = (name: string) => formText(req.body, name);
        const body = parseOr400(metricBody, compact({ week: f('week'), from: f('from'), to: f('to'), flow: f('flow'), value: f('value'), note: f('note') }), 'metric');
        const { week, from, to, ...input } = body;
        await services.metrics.record(services.reports.period({ week, from, to }), input, actor.email);
        return safeBack(f('back'));
      },
      refused,
    ),
  );

  // As PUT /api/v1/reports/work-items: one item a line.
  router.post(
    '/reports/work-items',
    ...formPost(
      'incidents:write',
      async (req, actor) => {
        const f = (name: string) => formText(req.body, name);
        const items = formLines(req.body, 'items').map((line) => (DRILL_RE.test(line) ? { kind: 'drill', text: line.replace(DRILL_RE, '') } : { kind: 'other', text: line }));
        const body = parseOr400(workItemsBody, { ...compact({ week: f('week'), from: f('from'), to: f('to') }), items }, 'work items');
        await services.metrics.setWorkItems(services.reports.period(body), body.items, actor.email);
        return safeBack(f('back'));
      },
      refused,
    ),
  );
  // As POST /api/v1/reports/emails: the email to each address (one a line, or comma-separated), the weekly section to chat.
  router.post(
    '/reports/send',
    ...formPost(
      'incidents:write',
      async (req) => {
        const f = (name: string) => formText(req.body, name);
        const recipients = formLines(req.body, 'recipients').flatMap((line) => line.split(/[,，;；\s]+/)).filter(Boolean);
        const fields = compact({ week: f('week'), from: f('from'), to: f('to'), template: f('template'), locale: pageLocale(services.config, req) });
        const body = parseOr400(emailBody, { ...fields, recipients, chat: f('chat') === 'true' }, 'report');
        const sent = await services.reportSending.send(body);
        const back = new URL(safeBack(f('back')), 'http://x');
        back.searchParams.set('sentEmails', String(sent.queued));
        back.searchParams.set('sentChat', String(sent.chat.messages));
        return `${back.pathname}${back.search}#send`;
      },
      refused,
    ),
  );
  return router;
}

/** Back to the report page the form was on, never elsewhere. */
const safeBack = (back: string) => (/^\/reports\/(weekly|stability)(\?[^\s]*)?$/.test(back) ? back : '/reports/weekly');
