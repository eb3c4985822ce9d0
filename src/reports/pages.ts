import express, { type Router } from 'express';
import { markdownToHtml } from '../documents/renderer.js';
import { ui } from '../documents/ui-strings.js';
import { pageLocale, renderPage, requireSignIn } from '../http/pages.js';
import { parseOr400 } from '../http/validate.js';
import type { Services } from '../services.js';
import { weeklyQuery } from './schemas.js';
import { shiftWeek } from './service.js';

/** The weekly report as a page, in the reader's locale, with links to the weeks around it. */
export function reportPages(services: Services): Router {
  const router = express.Router();
  router.get('/reports/weekly', requireSignIn, async (req, res) => {
    const query = parseOr400(weeklyQuery, req.query, 'query');
    const locale = query.locale ?? pageLocale(services.config, req);
    const { report, text } = await services.reports.render({ ...query, locale, format: 'md' });
    const { week } = report.period;
    renderPage(services, req, res, 'report', {
      title: ui(pageLocale(services.config, req), 'report.title', { period: week ?? `${report.period.from} – ${report.period.to}` }),
      reportHtml: markdownToHtml(text),
      api: `/api/v1/reports/weekly?${new URLSearchParams({ ...(week ? { week } : { from: report.period.from, to: report.period.to }), timezone: report.period.timezone, locale })}`,
      ...(week ? { previous: shiftWeek(week, -1), next: shiftWeek(week, 1) } : {}),
    });
  });
  return router;
}
