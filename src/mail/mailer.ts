import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** A stable Message-ID, so a receiving server can recognise the rare resend after a crash mid-send. */
  messageId: string;
}

/** Hands a message to SMTP; rejects when the server did not accept it. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/**
 * The nodemailer transport for SMTP_URL, or undefined when no SMTP is configured (messages then stay
 * in the outbox). Created by the composition root, never at import time.
 */
export function createMailer(smtpUrl: string | undefined, from: string): Mailer | undefined {
  if (!smtpUrl) return undefined;
  // Timeouts well under the outbox lease: a hung send must fail before another worker may take over.
  const transport = nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 });
  return {
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, html: m.html, text: m.text, messageId: m.messageId });
    },
  };
}
