import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on a loopback port; every message it accepts is parsed into `received`. */
export interface TestSmtp {
  port: number;
  url: string;
  received: ParsedMail[];
  /** Stops listening (the "SMTP is down" case); `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const received: ParsedMail[] = [];
  let server: SMTPServer | undefined;
  const listen = async (port: number) => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, done) {
        simpleParser(stream).then((mail) => {
          received.push(mail);
          done();
        }, done);
      },
    });
    const s = server;
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    return (s.server.address() as AddressInfo).port;
  };
  const port = await listen(0);
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    start: async () => {
      await listen(port);
    },
  };
}

/** The URL following `label` in a plain-text body. */
export function linkAfter(text: string, label: string): string {
  const m = new RegExp(`${label}[:：]\\s*(\\S+)`).exec(text);
  if (!m) throw new Error(`no "${label}" link in:\n${text}`);
  return m[1]!;
}
