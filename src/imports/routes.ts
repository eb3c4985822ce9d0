import type { Api } from '../http/api.js';
import { actorOf } from '../http/actor.js';
import type { ImportsService } from './service.js';
import { importResult, importWeeklyReportsBody } from './schemas.js';

export function importRoutes(api: Api, { imports }: { imports: ImportsService }): void {
  api.route({
    method: 'post',
    path: '/imports/weekly-reports',
    tag: 'imports',
    summary: 'Import incidents from weekly reports: preview (dryRun, the default) or file the new entries',
    permission: 'incidents:write',
    body: importWeeklyReportsBody,
    response: importResult,
    handler: ({ body, req }) => imports.weeklyReports(body, actorOf(req)),
  });
}
