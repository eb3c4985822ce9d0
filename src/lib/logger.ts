import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Readable lines for a person at a terminal, JSON lines for whatever collects the logs otherwise. */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? 'pretty' : 'json';
}

/** `destination` (JSON lines) stands in for stdout where the lines are read back, as tests do. */
export function createLogger(level: string, format: LogFormat = 'json', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'debrief' },
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  };
  if (format === 'json') return destination ? pino(options, destination) : pino(options);
  // pino-pretty as a stream in this thread (its README, "Usage as a stream"), synchronous so a line
  // printed beside the log (the first start's sign-in link) comes out in order.
  return pino(options, pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
}
