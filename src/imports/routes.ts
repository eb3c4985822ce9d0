import type { Api } from '../http/api.js';
import { actorOf } from '../http/actor.js';
import { localMessage } from '../documents/format.js';
import { acceptedLocale } from '../http/pages.js';
import type { ImportWarning } from './notes.js';
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
    handler: async ({ body, req, res }) => {
      // Warnings in the client's language (Accept-Language), English unless it asks for Chinese.
      const locale = acceptedLocale(req.headers['accept-language']) ?? 'en';
      res.vary('Accept-Language');
      const result = await imports.weeklyReports(body, actorOf(req));
      const said = (warnings: ImportWarning[]) => warnings.map((w) => ({ line: w.line, message: localMessage(w, locale) }));
      return { ...result, warnings: said(result.warnings), entries: result.entries.map((e) => ({ ...e, warnings: said(e.warnings) })) };
    },
  });
}
