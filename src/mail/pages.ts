import express, { type Router } from 'express';
import { formatTime } from '../documents/format.js';
import { ui } from '../documents/ui-strings.js';
import { NotFound } from '../lib/errors.js';
import { allow, formPost, listLink, pageLocale, pageQueryOf, renderPage, requireSignIn, type PageContext } from '../http/pages.js';
import { OUTBOX_STATUSES, type Outbox, type OutboxStatus } from './outbox.js';

type Message = Awaited<ReturnType<Outbox['list']>>['items'][number];

const PAGE_SIZE = 50;

/**
 * Where a message stands, in the reader's words, as the outbox knows it: queued until the outbox sent it,
 * "failed, retrying" between attempts, "failed" after the last one, each failure with the error it recorded.
 */
export function deliveryState(m: Pick<Message, 'status' | 'attempts' | 'lastError' | 'sentAt'>, locale: string, zone: string): { state: OutboxStatus | 'retrying' | 'queued'; text: string } {
  const error = m.lastError ?? '';
  if (m.status === 'sent') return { state: 'sent', text: ui(locale, 'outbox.state.sent', { at: m.sentAt ? formatTime(m.sentAt, 'full', zone) : '' }) };
  if (m.status === 'failed') return { state: 'failed', text: ui(locale, 'outbox.state.failed', { error }) };
  if (m.status === 'unsent') return { state: 'unsent', text: ui(locale, 'outbox.state.unsent') };
  if (m.attempts > 0) return { state: 'retrying', text: ui(locale, 'outbox.state.retrying', { error }) };
  return { state: 'queued', text: ui(locale, 'outbox.state.queued') };
}

/**
 * The outbox page, for admins: recent messages newest first with where each stands, and "retry now" for
 * one that failed. Reads go through Outbox.list, an in-memory index with the page's messages read by _id.
 */
export function outboxPages(services: PageContext & { outbox: Outbox }): Router {
  const { outbox, config } = services;
  const router = express.Router();

  router.get('/admin/outbox', requireSignIn, async (req, res) => {
    const actor = allow(req, 'admin');
    const locale = pageLocale(config, req);
    const q = pageQueryOf(req, ['status', 'page']);
    const status = OUTBOX_STATUSES.find((s) => s === q.status);
    const page = Math.max(1, Math.min(100_000, Math.trunc(Number(q.page)) || 1));
    const list = await outbox.list({ status: status ? [status] : undefined, page, pageSize: PAGE_SIZE });
    const pages = Math.max(1, Math.ceil(list.total / PAGE_SIZE));
    const link = (change: Record<string, string | number | undefined>) => listLink('/admin/outbox', q, change);
    renderPage(services, req, res, 'outbox', {
      title: ui(locale, 'outbox.title'),
      total: list.total,
      filters: [undefined, ...OUTBOX_STATUSES].map((s) => ({ label: s ? ui(locale, `outbox.filter.${s}`) : ui(locale, 'outbox.filter.all'), href: link({ status: s, page: undefined }), current: s === status })),
      items: list.items.map((m) => ({ ...m, delivery: deliveryState(m, locale, actor.timezone), created: formatTime(m.createdAt, 'full', actor.timezone), retry: m.status === 'failed' })),
      page,
      pages,
      previous: page > 1 ? link({ page: page - 1 }) : undefined,
      next: page < pages ? link({ page: page + 1 }) : undefined,
      retried: typeof req.query.retried === 'string' ? req.query.retried.slice(0, 40) : undefined,
    });
  });

  // Idempotent: a retry of a message that is no longer failed changes nothing (Outbox.retry).
  router.post(
    '/admin/outbox/:id/retry',
    ...formPost(
      'admin',
      async (req) => {
        const message = await outbox.retry(String(req.params.id));
        if (!message) throw new NotFound(`Message ${String(req.params.id)}`);
        return `/admin/outbox?retried=${encodeURIComponent(message.id)}#m-${message.id}`;
      },
      async (_req, _res, error) => {
        throw error;
      },
    ),
  );

  return router;
}
