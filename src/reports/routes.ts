import type { Response } from 'express';
import { actorOf } from '../http/actor.js';
import type { Api } from '../http/api.js';
import { NotFound } from '../http/errors.js';
import type { Services } from '../services.js';
import { buildChart, renderSvg } from './charts.js';
import { actionExportQuery, incidentExportQuery, writeExport, type ExportKind } from './exports.js';
import { chartParams, chartQuery, metricBody, metricDeleteQuery, periodQuery, reportQuery, stabilityReport, workItemsBody, type ReportQuery } from './schemas.js';
import type { ReportTemplate, ReportsService } from './service.js';

const CONTENT_TYPES = { md: 'text/markdown; charset=utf-8', html: 'text/html; charset=utf-8' } as const;
const CHARTS_IN_PRINT = ['incidents-by-week', 'time-to-resolve', 'actions-opened-closed', 'availability'] as const;

export function reportRoutes(api: Api, services: Services): void {
  const { reports, metrics, config } = services;
  const reportRoute = (template: ReportTemplate, path: string, summary: string) =>
    api.route({
      method: 'get',
      path,
      tag: 'reports',
      summary,
      permission: 'read',
      query: reportQuery,
      response: stabilityReport,
      produces: ['text/markdown', 'text/html'],
      handler: async ({ query, res }) => {
        if (query.format === 'json') return reports.report(query);
        const { text } = await reports.render({ ...query, format: query.format }, template);
        res.type(CONTENT_TYPES[query.format]).send(query.format === 'html' && template === 'stability' ? await withCharts(reports, query, text) : text);
        return undefined;
      },
    });
  reportRoute('weekly', '/reports/weekly', "The weekly section in the team's shape: success rates, availability, accident counts, stability work, the week's incidents, corrective actions");
  reportRoute('stability', '/reports/stability', 'The period report: counts by severity, customer-facing minutes, availability, time to detect/mitigate/resolve, actions as of the end, repeats');

  api.route({
    method: 'get',
    path: '/reports/metrics',
    tag: 'reports',
    summary: "A period's recorded success rates and stability work items",
    permission: 'read',
    query: periodQuery,
    handler: async ({ query }) => {
      const period = reports.period(query);
      return { from: period.from, to: period.to, week: period.week?.label, successRates: await metrics.forPeriod(period), workItems: await metrics.workItems(period) };
    },
  });
  api.route({
    method: 'put',
    path: '/reports/metrics',
    tag: 'reports',
    summary: "Records a flow's success rate for a week or period (replacing an earlier value)",
    permission: 'incidents:write',
    body: metricBody,
    handler: async ({ body, req }) => {
      const { week, from, to, ...input } = body;
      const period = reports.period({ week, from, to });
      const saved = await metrics.record(period, input, actorOf(req).email);
      return { flow: saved.flow, from: saved.from, to: saved.to, value: saved.value, note: saved.note };
    },
  });
  api.route({
    method: 'delete',
    path: '/reports/metrics',
    tag: 'reports',
    summary: "Removes a flow's success rate for a week or period",
    permission: 'incidents:write',
    query: metricDeleteQuery,
    handler: async ({ query, res }) => {
      const { flow, ...q } = query;
      if (!(await metrics.remove(reports.period(q), flow))) throw new NotFound(`A value of ${flow} for this period`);
      res.status(204).end();
      return undefined;
    },
  });
  api.route({
    method: 'put',
    path: '/reports/work-items',
    tag: 'reports',
    summary: "Replaces a week's or period's stability work items (drills and other 稳定性建设)",
    permission: 'incidents:write',
    body: workItemsBody,
    handler: async ({ body, req }) => {
      const period = reports.period(body);
      return { from: period.from, to: period.to, items: await metrics.setWorkItems(period, body.items, actorOf(req).email) };
    },
  });

  api.route({
    method: 'get',
    path: '/reports/charts/:name',
    tag: 'reports',
    summary: 'A chart over a period, week by week, as SVG with a text alternative (or its numbers as JSON)',
    permission: 'read',
    params: chartParams,
    query: chartQuery,
    produces: ['image/svg+xml'],
    handler: async ({ params, query, res }) => {
      const period = reports.period(query.week || query.from ? query : { ...query, ...reports.lastWeeks(12, query) });
      const chart = buildChart(params.name, period, await reports.load(period), config, query.locale ?? config.DEFAULT_LOCALE);
      if (query.format === 'json') return chart;
      res.type('image/svg+xml; charset=utf-8').set('x-text-alternative', encodeURIComponent(chart.text)).send(renderSvg(chart));
      return undefined;
    },
  });

  const exportRoute = (kind: ExportKind, query: typeof incidentExportQuery | typeof actionExportQuery) =>
    api.route({
      method: 'get',
      path: `/exports/${kind}`,
      tag: 'exports',
      summary: `Every ${kind === 'incidents' ? 'incident' : 'action'} the list filters select, streamed as CSV (UTF-8 with BOM, one column per field) or JSON lines`,
      permission: 'read',
      query,
      produces: ['text/csv', 'application/x-ndjson'],
      handler: async ({ query: q, res }) => {
        res.type(q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
        res.set('content-disposition', `attachment; filename="${kind}.${q.format}"`);
        await writeExport(services, kind, q as never, (chunk) => drainWrite(res, chunk));
        res.end();
        return undefined;
      },
    });
  exportRoute('incidents', incidentExportQuery);
  exportRoute('actions', actionExportQuery);
}

/** Writes a chunk and waits while the client is slower than the database. */
function drainWrite(res: Response, chunk: string): Promise<void> | void {
  if (!res.write(chunk)) return new Promise((resolve) => res.once('drain', () => resolve()));
}

/** The printable period report with its charts as figures (each with its text alternative), before the end of the page. */
async function withCharts(reports: ReportsService, query: ReportQuery, html: string): Promise<string> {
  const period = reports.period(query);
  const data = await reports.load(period);
  const figures = CHARTS_IN_PRINT.map((name) => {
    const chart = buildChart(name, period, data, reports.config, query.locale ?? reports.config.DEFAULT_LOCALE);
    return `<figure>${renderSvg(chart)}<figcaption>${escapeHtml(chart.text)}</figcaption></figure>`;
  }).join('\n');
  return html.replace('</main>', `${figures}\n</main>`);
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
