import type { Api } from '../http/api.js';
import type { Services } from '../services.js';
import { weeklyQuery, weeklyReport } from './schemas.js';

const CONTENT_TYPES = { md: 'text/markdown; charset=utf-8', html: 'text/html; charset=utf-8' } as const;

export function reportRoutes(api: Api, { reports }: Services): void {
  api.route({
    method: 'get',
    path: '/reports/weekly',
    tag: 'reports',
    summary: 'The weekly stability report: incidents of the week, accident counts by severity bucket, corrective actions',
    permission: 'read',
    query: weeklyQuery,
    response: weeklyReport,
    produces: ['text/markdown', 'text/html'],
    handler: async ({ query, res }) => {
      if (query.format === 'json') return reports.weekly(query);
      const { text } = await reports.render({ ...query, format: query.format });
      res.type(CONTENT_TYPES[query.format]).send(text);
      return undefined;
    },
  });
}
