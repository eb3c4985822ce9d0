import type { Response } from 'express';
import { z } from 'zod';
import { actorOf } from '../http/actor.js';
import type { Api } from '../http/api.js';
import type { Config } from '../lib/config.js';
import { NotFound } from '../lib/errors.js';
import { renderSvg } from './charts.js';
import type { Reads } from './data.js';
import { actionExportQuery, incidentExportQuery, writeExport, type ExportKind } from './exports.js';
import type { PeriodMetrics } from './metrics.js';
import { chartParams, chartQuery, emailBody, metricBody, metricDeleteQuery, periodQuery, reportQuery, stabilityReport, workItemsBody } from './schemas.js';
import type { ReportSending } from './sending.js';
import type { ReportsService, ReportTemplate } from './service.js';

const CONTENT_TYPES = { md: 'text/markdown; charset=utf-8', html: 'text/html; charset=utf-8' } as const;

// What these routes answer, for the OpenAPI document (see src/http/responses.ts).
const successRateView = z.looseObject({ flow: z.string(), from: z.string(), to: z.string(), value: z.number(), note: z.string().optional() });
const workItemView = z.looseObject({ kind: z.enum(['drill', 'other']), text: z.string() });
const metricsView = z.looseObject({ from: z.string(), to: z.string(), week: z.string().optional(), successRates: z.array(z.looseObject({})), workItems: z.array(workItemView) });
const chartView = z.looseObject({ name: z.string(), title: z.string(), unit: z.string(), categories: z.array(z.string()), series: z.array(z.looseObject({ label: z.string(), values: z.array(z.number().nullable()) })), text: z.string() });

export function reportRoutes(api: Api, services: Reads & { reports: ReportsService; metrics: PeriodMetrics; reportSending: ReportSending; config: Config }): void {
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
        // The printable report carries the charts; markdown stays ready to paste.
        if (query.format === 'html') {
          res.type(CONTENT_TYPES.html).send((await reports.withCharts(query, template)).html);
          return undefined;
        }
        const { text } = await reports.render({ ...query, format: query.format }, template);
        res.type(CONTENT_TYPES.md).send(text);
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
    response: metricsView,
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
    response: successRateView,
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
    response: z.object({ flow: z.string(), removed: z.literal(true) }),
    handler: async ({ query }) => {
      const { flow, ...q } = query;
      if (!(await metrics.remove(reports.period(q), flow))) throw new NotFound(`A value of ${flow} for this period`);
      return { flow, removed: true as const };
    },
  });
  api.route({
    method: 'put',
    path: '/reports/work-items',
    tag: 'reports',
    summary: "Replaces a week's or period's stability work items (drills and other 稳定性建设)",
    permission: 'incidents:write',
    body: workItemsBody,
    response: z.looseObject({ from: z.string(), to: z.string(), items: z.array(workItemView) }),
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
    response: chartView,
    handler: async ({ params, query, res }) => {
      const period = reports.period(query.week || query.from ? query : { ...query, ...reports.lastWeeks(12, query) });
      const chart = reports.chart(params.name, period, await reports.load(), query.locale ?? config.DEFAULT_LOCALE);
      if (query.format === 'json') return chart;
      res.type('image/svg+xml; charset=utf-8').set('x-text-alternative', encodeURIComponent(chart.text)).send(renderSvg(chart));
      return undefined;
    },
  });

  api.route({
    method: 'post',
    path: '/reports/emails',
    tag: 'reports',
    summary: 'Sends a report: by email (HTML with its charts and their text, and plain text) to the people listed, and the weekly section to the chat channels taking report.weekly, through the outbox',
    permission: 'incidents:write',
    body: emailBody,
    status: 202,
    response: z.object({ queued: z.number().int(), alreadyQueued: z.number().int(), subject: z.string(), chat: z.object({ channels: z.number().int(), messages: z.number().int().describe('chat messages written (a section already posted word for word is not posted again)') }) }),
    handler: ({ body }) => services.reportSending.send(body),
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
      response: z.string(),
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
