import type { Express } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  server: Server;
  port: number;
  /**
   * Stops accepting connections, closes idle keep-alive ones at once and tells busy ones to close after
   * their response; resolves once requests in flight are answered, or cuts the rest at `deadlineMs`.
   */
  close(deadlineMs?: number): Promise<void>;
}

export async function listen(app: Express, port: number, host: string): Promise<RunningServer> {
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  let closing = false;
  // Before the app's own listener, so the header is set before any response is written.
  server.prependListener('request', (_req, res) => {
    if (closing) res.setHeader('Connection', 'close');
    // A request that was in flight when closing began leaves its connection idle: close it then.
    res.once('finish', () => closing && setImmediate(() => server.closeIdleConnections()));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: (deadlineMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        closing = true;
        const cut = setTimeout(() => server.closeAllConnections(), deadlineMs);
        server.close((err) => {
          clearTimeout(cut);
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
