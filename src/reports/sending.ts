import { createHash } from 'node:crypto';
import type { Outbox } from '../mail/outbox.js';
import type { EmailBody, StabilityReport } from './schemas.js';
import type { ReportsService } from './service.js';

/** Where the weekly section goes besides email (src/channels/events.ts). */
export interface WeeklyChat {
  weeklyReport(report: StabilityReport, locale: string | undefined): Promise<{ channels: number; messages: number }>;
}

export interface SentReport {
  queued: number;
  alreadyQueued: number;
  subject: string;
  chat: { channels: number; messages: number };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Sending a report: the email (HTML with its charts and their text, and plain text) to each recipient
 * through the outbox, and for the weekly report its section to the chat channels that take it. A retried
 * request (same requestId), or the same report again (same content), is not sent twice.
 */
export class ReportSending {
  constructor(private readonly deps: { reports: ReportsService; outbox: Outbox; chat: WeeklyChat }) {}

  async send(body: EmailBody): Promise<SentReport> {
    const { recipients, template, requestId, chat, ...query } = body;
    const message = await this.deps.reports.withCharts({ ...query, format: 'html' }, template);
    const sameness = requestId ? `request:${sha256(requestId)}` : `content:${sha256(`${message.subject}\n${message.html}\n${message.text}`)}`;
    let queued = 0;
    for (const recipient of recipients) {
      const dedupeKey = `report:${template}:${message.from}:${message.to}:${recipient}:${sameness}`;
      if (await this.deps.outbox.enqueue({ dedupeKey, kind: 'report', to: recipient, subject: message.subject, html: message.html, text: message.text })) queued++;
    }
    const posted = template === 'weekly' && chat ? await this.deps.chat.weeklyReport(message.report, query.locale) : { channels: 0, messages: 0 };
    return { queued, alreadyQueued: recipients.length - queued, subject: message.subject, chat: posted };
  }
}
