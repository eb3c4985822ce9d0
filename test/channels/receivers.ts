import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../../src/lib/clock.js';

/** What a receiver took: the platform's kind, the parsed body, the raw request's headers. */
export interface Received {
  kind: string;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

export const ROBOT_KEY = 'robot-key-6f1c2a';
export const FEISHU_SECRET = 'feishu-secret-9d3e';
export const DINGTALK_SECRET = 'SECdingtalk-secret-41aa';
export const SLACK_SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
export const WEBHOOK_SECRET = 'whsec_' + Buffer.from('webhook-secret-of-32-bytes-long!').toString('base64');

const HOUR = 3600_000;
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Loopback stand-ins for the platforms, checking what each documents it checks (src/channels/platforms.ts
 * names the pages): the key or signature and its timestamp window, the required fields, the size, and
 * the per-minute limit of a robot, answered with the platform's own error code. Time is the test's clock.
 */
export class Receivers {
  readonly received: Received[] = [];
  /** Answers every post with HTTP 503 while true (an outage). */
  down = false;
  /** Posts a robot takes per minute before answering with its rate-limit error (the platforms' own figures). */
  readonly limits: Record<string, number> = { wecom: 20, feishu: 100, dingtalk: 20, slack: 60 };
  private readonly perMinute = new Map<string, number>();
  private server!: Server;
  url = '';

  constructor(private readonly clock: Clock) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
          res.end(typeof body === 'string' ? body : JSON.stringify(body));
        };
        if (this.down) return answer(503, 'down for maintenance');
        const kind = url.pathname.split('/')[1]!;
        const result = this.check(kind, url, raw, req.headers);
        if (result) return answer(result.status, result.body, result.headers);
        this.received.push({ kind, body: JSON.parse(raw), headers: req.headers });
        answer(200, kind.startsWith('slack') ? 'ok' : kind === 'feishu' ? { code: 0, msg: 'success', data: {} } : { errcode: 0, errmsg: 'ok' });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  of(kind: string): Received[] {
    return this.received.filter((r) => r.kind === kind);
  }

  /** Counts a post against its robot's minute (of the test clock); true beyond `max`. */
  private overLimit(robot: string, max: number): boolean {
    const minute = `${robot}:${Math.floor(this.clock.now().getTime() / 60_000)}`;
    const n = (this.perMinute.get(minute) ?? 0) + 1;
    this.perMinute.set(minute, n);
    return n > max;
  }

  private check(kind: string, url: URL, raw: string, headers: Record<string, string | string[] | undefined>): { status: number; body: unknown; headers?: Record<string, string> } | undefined {
    const body = JSON.parse(raw);
    const now = this.clock.now().getTime();
    switch (kind) {
      case 'wecom': {
        if (url.searchParams.get('key') !== ROBOT_KEY) return { status: 200, body: { errcode: 93000, errmsg: 'invalid webhook url' } };
        const content = body.msgtype === 'markdown' ? body.markdown?.content : body.msgtype === 'text' ? body.text?.content : undefined;
        if (typeof content !== 'string' || !content) return { status: 200, body: { errcode: 40008, errmsg: 'invalid message type' } };
        if (Buffer.byteLength(content) > (body.msgtype === 'text' ? 2048 : 4096)) return { status: 200, body: { errcode: 40058, errmsg: 'content exceed max length' } };
        if (this.overLimit('wecom', this.limits.wecom!)) return { status: 200, body: { errcode: 45009, errmsg: 'api freq out of limit' } };
        return undefined;
      }
      case 'feishu': {
        const ts = Number(body.timestamp);
        const sign = createHmac('sha256', `${body.timestamp}\n${FEISHU_SECRET}`).update('').digest('base64');
        if (!Number.isFinite(ts) || Math.abs(now - ts * 1000) > HOUR || typeof body.sign !== 'string' || !same(body.sign, sign)) {
          return { status: 200, body: { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' } };
        }
        if (Buffer.byteLength(raw) > 20 * 1024) return { status: 200, body: { code: 9499, msg: 'Bad Request' } };
        if (body.msg_type !== 'interactive' || !body.card?.header?.title?.content) return { status: 200, body: { code: 9499, msg: 'Bad Request' } };
        if (this.overLimit('feishu', this.limits.feishu!)) return { status: 200, body: { code: 11232, msg: 'frequency limited' } };
        return undefined;
      }
      case 'dingtalk': {
        const ts = url.searchParams.get('timestamp') ?? '';
        const sign = createHmac('sha256', DINGTALK_SECRET).update(`${ts}\n${DINGTALK_SECRET}`).digest('base64');
        if (url.searchParams.get('access_token') !== ROBOT_KEY) return { status: 200, body: { errcode: 300001, errmsg: 'token is not exist' } };
        if (Math.abs(now - Number(ts)) > HOUR || !same(url.searchParams.get('sign') ?? '', sign)) return { status: 200, body: { errcode: 310000, errmsg: 'sign not match' } };
        if (body.msgtype !== 'markdown' || !body.markdown?.title || !body.markdown?.text) return { status: 200, body: { errcode: 40035, errmsg: 'missing parameter' } };
        if (this.overLimit('dingtalk', this.limits.dingtalk!)) return { status: 200, body: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' } };
        return undefined;
      }
      case 'slack': {
        if (url.pathname !== `/slack/${ROBOT_KEY}`) return { status: 404, body: 'no_service' };
        if (!Array.isArray(body.blocks) || body.blocks.some((b: any) => b.type === 'section' && b.text.text.length > 3000)) return { status: 400, body: 'invalid_blocks' };
        if (this.overLimit('slack', this.limits.slack!)) return { status: 429, body: 'rate_limited', headers: { 'retry-after': '600' } };
        return undefined;
      }
      case 'slack-response': {
        // A response_url: Slack takes {text} and posts it where the interaction happened.
        if (typeof body.text !== 'string' || !body.text) return { status: 400, body: 'no_text' };
        return undefined;
      }
      case 'webhook': {
        try {
          new Webhook(WEBHOOK_SECRET).verify(raw, headers as Record<string, string>);
        } catch {
          return { status: 401, body: 'bad signature' };
        }
        return undefined;
      }
      default:
        return { status: 404, body: 'unknown' };
    }
  }
}
