import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { pack, shorten, utf8Bytes } from './fit.js';
import type { ChannelKind } from './model.js';
import { tokenOfLink, type LinkOp } from '../reminders/links.js';

/** What a chat message says, before any platform's format: a title, short lines, a link, people to mention. */
export interface ChatMessage {
  /** The event's name (incident.filed, …), sent as the webhook's `type`. */
  event: string;
  title: string;
  lines: string[];
  link?: { label: string; url: string };
  mentions: Mention[];
  /** True when the lines place the mentions themselves (inlineMention); otherwise they follow the lines. */
  inlineMentions?: boolean;
  /** The event's data, as generic webhooks receive it (declared in the OpenAPI document's `webhooks`). */
  data: Record<string, unknown>;
}

/** A person to mention: their name, and their chat identity per platform when they gave one. */
export interface Mention {
  name: string;
  ids: Partial<Record<ChannelKind, string>>;
}

/**
 * Links and mentions inside a line, written by `inlineLink` / `inlineMention` with control characters a
 * person's text never holds; each platform writes them in its own syntax once the text around is escaped.
 */
export const inlineLink = (label: string, url: string, op?: LinkOp) => `\u0001${label}\u0002${url}${op ? `\u0006${op}` : ''}\u0003`;
export const inlineMention = (index: number) => `\u0004${index}\u0005`;
const INLINE = /\u0001([^\u0002]*)\u0002([^\u0003\u0006]*)(?:\u0006(\w+))?\u0003|\u0004(\d+)\u0005/g;

/** A one-click link of a line (`inlineLink` with its operation): Slack makes buttons of them. */
interface LineAction {
  op: LinkOp;
  label: string;
  url: string;
}

/** `line` escaped for the platform, its inline links and mentions in the platform's syntax. */
function markup(line: string, m: ChatMessage, escape: (t: string) => string, link: (label: string, url: string) => string, mention: (p: Mention) => string): string {
  let out = '';
  let last = 0;
  for (const match of line.matchAll(INLINE)) {
    out += escape(line.slice(last, match.index));
    const person = match[4] !== undefined ? m.mentions[Number(match[4])] : undefined;
    out += match[4] !== undefined ? (person ? mention(person) : '') : link(escape(match[1]!), match[2]!);
    last = match.index + match[0].length;
  }
  return out + escape(line.slice(last));
}

/** A line's one-click links, and the line without them. */
function lineActions(line: string): { rest: string; actions: LineAction[] } {
  const actions: LineAction[] = [];
  const rest = line.replace(INLINE, (whole, label: string, url: string, op: string | undefined) => {
    if (!op) return whole;
    actions.push({ op: op as LinkOp, label, url });
    return '';
  });
  return { rest: rest.trimEnd(), actions };
}
const asIs = (t: string) => t;

/** A line as plain text (the outbox's readable copy): links as "label: url", mentions as names. */
export const plainLine = (line: string, m: ChatMessage) => markup(line, m, asIs, (label, url) => `${label}: ${url}`, (p) => `@${p.name}`);
const mdLink = (label: string, url: string) => `[${label}](${url})`;

/** A mobile number (WeCom and DingTalk mention by user id or by mobile). */
const isMobile = (id: string) => /^\+?\d{6,15}$/.test(id);

interface Platform {
  /** Limit of the part of a message that grows (its lines), in UTF-8 bytes. */
  maxBytes: number;
  /** Sends allowed per window, per channel: the platform's own rate limits. */
  windows: { ms: number; max: number }[];
  /** The bodies to post, one per part, unsigned. */
  render(m: ChatMessage, parts: string[][]): unknown[];
}

const partTitle = (m: ChatMessage, i: number, n: number) => (n > 1 ? `${m.title} (${i + 1}/${n})` : m.title);
const plainMention = (p: Mention) => `@${p.name}`;

/**
 * WeCom group robot (developer.work.weixin.qq.com, 群机器人配置说明, /document/path/91770): POST
 * {msgtype, markdown:{content}} to …/cgi-bin/webhook/send?key=…; markdown content at most 4096 bytes,
 * text content 2048; `<@userid>` mentions in content, `mentioned_mobile_list` (text only) for mobiles;
 * 20 messages a minute per robot, errcode 45009 beyond.
 */
const wecom: Platform = {
  maxBytes: 3500,
  windows: [{ ms: 60_000, max: 20 }],
  render(m, parts) {
    const mobiles = m.mentions.map((p) => p.ids.wecom).filter((id): id is string => !!id && isMobile(id));
    const who = (p: Mention) => (p.ids.wecom && !isMobile(p.ids.wecom) ? `<@${p.ids.wecom}>` : plainMention(p));
    const mention = m.inlineMentions ? '' : m.mentions.map(who).join(' ');
    return parts.map((lines, i) => {
      const head = partTitle(m, i, parts.length);
      const tail = [...(i === 0 && mention ? [mention] : []), ...(m.link ? [mdLink(m.link.label, m.link.url)] : [])];
      if (i === 0 && mobiles.length && !m.inlineMentions) {
        // Markdown messages cannot mention by mobile: a text message can, within 2048 bytes.
        const text = lines.map((l) => markup(l, m, asIs, (label, url) => `${label}: ${url}`, who));
        const content = shorten([head, ...text, ...(m.link ? [`${m.link.label}: ${m.link.url}`] : [])].join('\n'), 2048);
        return { msgtype: 'text', text: { content, mentioned_mobile_list: mobiles } };
      }
      return { msgtype: 'markdown', markdown: { content: [`**${head}**`, ...lines.map((l) => markup(l, m, asIs, mdLink, who)), ...tail].join('\n') } };
    });
  },
};

/** Feishu's lark_md reads `<at …>` tags: angle brackets in our text are written as entities. */
const larkText = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Feishu custom bot (open.feishu.cn, 自定义机器人使用指南, /document/client-docs/bot-v3/add-custom-bot):
 * POST {timestamp, sign, msg_type: "interactive", card} to …/open-apis/bot/v2/hook/…; body at most 20 KB;
 * 100 a minute and 5 a second per bot; `<at id=open_id></at>` mentions; answers {code: 0} when sent.
 * Paced per minute (see slack below for why not per second); a burst over 5 a second is answered
 * 11232 and waited out.
 */
const feishu: Platform = {
  maxBytes: 15_000,
  windows: [{ ms: 60_000, max: 100 }],
  render(m, parts) {
    const who = (p: Mention) => (p.ids.feishu ? `<at id=${p.ids.feishu}></at>` : larkText(plainMention(p)));
    const mention = m.inlineMentions ? '' : m.mentions.map(who).join(' ');
    return parts.map((lines, i) => ({
      msg_type: 'interactive',
      card: {
        config: { wide_screen_mode: true },
        header: { title: { tag: 'plain_text', content: partTitle(m, i, parts.length) }, template: 'red' },
        elements: [
          { tag: 'div', text: { tag: 'lark_md', content: [...lines.map((l) => markup(l, m, larkText, mdLink, who)), ...(i === 0 && mention ? [mention] : [])].join('\n') } },
          ...(m.link ? [{ tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: m.link.label }, url: m.link.url, type: 'primary' }] }] : []),
        ],
      },
    }));
  },
};

/**
 * DingTalk custom robot (open.dingtalk.com, 自定义机器人接入, /document/robots/custom-robot-access): POST
 * {msgtype: "markdown", markdown: {title, text}, at: {atMobiles, atUserIds}} to …/robot/send?access_token=…
 * with `timestamp` (ms) and `sign` in the query; the text must name `@<mobile or user id>` for the mention
 * to ring; 20 a minute per robot, errcode 130101 beyond. We keep a part under 4 KB to stay phone-sized.
 */
const dingtalk: Platform = {
  maxBytes: 4000,
  windows: [{ ms: 60_000, max: 20 }],
  render(m, parts) {
    const ids = m.mentions.map((p) => p.ids.dingtalk).filter((id): id is string => !!id);
    const who = (p: Mention) => (p.ids.dingtalk ? `@${p.ids.dingtalk}` : plainMention(p));
    const mention = m.inlineMentions ? '' : m.mentions.map(who).join(' ');
    return parts.map((lines, i) => {
      const title = partTitle(m, i, parts.length);
      const text = [`#### ${title}`, ...lines.map((l) => `- ${markup(l, m, asIs, mdLink, who)}`), ...(i === 0 && mention ? [mention] : []), ...(m.link ? [mdLink(m.link.label, m.link.url)] : [])].join('\n');
      return {
        msgtype: 'markdown',
        markdown: { title, text },
        at: i === 0 || m.inlineMentions ? { atMobiles: ids.filter(isMobile), atUserIds: ids.filter((id) => !isMobile(id)), isAtAll: false } : { isAtAll: false },
      };
    });
  },
};

/** Slack mrkdwn's three control characters (docs.slack.dev, "Formatting text for app surfaces": escaping). */
const slackText = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Slack incoming webhook with Block Kit (docs.slack.dev, "Sending messages using incoming webhooks";
 * "Rate limits": about one message a second, short bursts allowed; "Block Kit" reference: a header's
 * text at most 150 characters, a section's 3000). Answers 200 "ok", 429 with Retry-After when posting
 * too fast, which the outbox waits out. Paced as 50 a minute: the delivery job runs every half minute,
 * so a one-a-second window would send one message per run.
 */
const slack: Platform = {
  maxBytes: 2900,
  windows: [{ ms: 60_000, max: 50 }],
  render(m, parts) {
    const who = (p: Mention) => (p.ids.slack ? `<@${p.ids.slack}>` : slackText(plainMention(p)));
    const mention = m.inlineMentions ? '' : m.mentions.map(who).join(' ');
    const mrkdwn = (l: string) => markup(l, m, slackText, (label, url) => `<${url}|${label}>`, who);
    return parts.map((lines, i) => {
      const title = partTitle(m, i, parts.length);
      const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: [...title].slice(0, 150).join('') } }];
      let text: string[] = [];
      const flush = () => {
        if (text.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: text.join('\n') } });
        text = [];
      };
      for (const line of lines) {
        const { rest, actions } = lineActions(line);
        text.push(mrkdwn(rest));
        if (!actions.length) continue;
        flush();
        blocks.push(slackButtons(actions));
      }
      if (i === 0 && mention) text.push(mention);
      flush();
      if (blocks.length === 1) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackText(title) } });
      if (m.link) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: m.link.label }, url: m.link.url }] });
      return { text: title, blocks };
    });
  },
};

/** Slack's limit on a block_id and an action_id (Block Kit reference). */
const SLACK_ID_CHARS = 255;

/**
 * An action line's one-click links as Slack elements, which post to the channel's interactions endpoint
 * (src/channels/slack-interactions.ts): "snooze" carries its signed token as the button's value; "new due
 * date" is a date picker whose token is the block's id when it fits, else a link like "mark done", whose
 * note and evidence need the confirmation page.
 */
function slackButtons(actions: LineAction[]): unknown {
  const due = actions.find((a) => a.op === 'due');
  const dueToken = due && tokenOfLink(due.url);
  const picker = dueToken !== undefined && dueToken.length <= SLACK_ID_CHARS;
  const elements = actions.map((a) => {
    const text = { type: 'plain_text', text: a.label };
    if (a.op === 'snooze') return { type: 'button', action_id: 'snooze', text, value: tokenOfLink(a.url) };
    if (a.op === 'due' && picker) return { type: 'datepicker', action_id: 'due', placeholder: text };
    return { type: 'button', action_id: `open:${a.op}`, text, url: a.url, ...(a.op === 'done' ? { style: 'primary' } : {}) };
  });
  return { type: 'actions', ...(picker ? { block_id: dueToken } : {}), elements };
}

/**
 * Generic webhooks, per the Standard Webhooks specification (standardwebhooks.com): a JSON body
 * {type, timestamp, data}, signed in the webhook-id / webhook-timestamp / webhook-signature headers.
 * One part: a receiver is a program, not a phone screen.
 */
const webhook: Platform = {
  maxBytes: 1_000_000,
  windows: [],
  render(m, parts) {
    return [{ type: m.event, data: { ...m.data, title: m.title, text: parts.flat().map((l) => markup(l, m, asIs, (label, url) => `${label}: ${url}`, plainMention)).join('\n'), ...(m.link ? { url: m.link.url } : {}) } }];
  },
};

export const PLATFORMS: Record<ChannelKind, Platform> = { wecom, feishu, dingtalk, slack, webhook };

/**
 * The bodies to post for `m` on a channel of `kind`, with the lines each carries: its lines split into
 * parts that each fit the platform (the title, mentions and link need room beside them).
 */
export function render(kind: ChannelKind, m: ChatMessage): { body: unknown; lines: string[] }[] {
  const platform = PLATFORMS[kind];
  const overhead = utf8Bytes(m.title) + utf8Bytes(m.link?.url ?? '') * 2 + 64 * (m.mentions.length + 1);
  const parts = pack(m.lines, platform.maxBytes - overhead);
  const bodies = platform.render(m, parts);
  return bodies.map((body, i) => ({ body, lines: bodies.length === parts.length ? parts[i]! : parts.flat() }));
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The HTTP request that posts `body` to a channel, signed as its platform asks, at `now`. */
export function signedRequest(kind: ChannelKind, url: string, secret: string | undefined, body: unknown, now: Date, messageId: string): SignedRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (kind === 'feishu' && secret) {
    // Feishu: timestamp in seconds; sign = base64(HMAC-SHA256 keyed with "timestamp\nsecret" over nothing).
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const sign = createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
    return { url, headers, body: JSON.stringify({ timestamp, sign, ...(body as object) }) };
  }
  if (kind === 'dingtalk' && secret) {
    // DingTalk: timestamp in ms; sign = URL-encoded base64(HMAC-SHA256 keyed with the secret over "timestamp\nsecret").
    const timestamp = String(now.getTime());
    const sign = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
    const signed = new URL(url);
    signed.searchParams.set('timestamp', timestamp);
    signed.searchParams.set('sign', sign);
    return { url: signed.toString(), headers, body: JSON.stringify(body) };
  }
  const text = JSON.stringify(kind === 'webhook' ? { ...(body as object), timestamp: now.toISOString() } : body);
  if (kind === 'webhook' && secret) {
    headers['webhook-id'] = messageId;
    headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
    headers['webhook-signature'] = new Webhook(secret).sign(messageId, now, text);
  }
  return { url, headers, body: text };
}

/** A post the platform did not take; `retryAfterMs` when it said to slow down. */
export class ChatSendError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Error codes in a 200 body that mean "too many messages": wait a minute. */
const RATE_LIMITED: Record<string, number[]> = { wecom: [45009], dingtalk: [130101], feishu: [11232] };

/** Throws ChatSendError unless the answer says the message was taken; platforms answer failures with 200 and a code. */
export function checkAnswer(kind: ChannelKind, status: number, retryAfter: string | null, body: string): void {
  if (status === 429) {
    const seconds = Number(retryAfter);
    throw new ChatSendError(`${kind} answered 429 (rate limited)`, (Number.isFinite(seconds) && seconds > 0 ? seconds : 60) * 1000);
  }
  if (status < 200 || status > 299) throw new ChatSendError(`${kind} answered HTTP ${status}: ${body.slice(0, 200)}`);
  if (kind !== 'wecom' && kind !== 'dingtalk' && kind !== 'feishu') return;
  let answer: { errcode?: unknown; errmsg?: unknown; code?: unknown; msg?: unknown; StatusCode?: unknown };
  try {
    answer = JSON.parse(body);
  } catch {
    throw new ChatSendError(`${kind} answered something that is not JSON: ${body.slice(0, 200)}`);
  }
  const code = kind === 'feishu' ? (answer.code ?? answer.StatusCode) : answer.errcode;
  if (code === 0) return;
  const said = String(answer.errmsg ?? answer.msg ?? '');
  const limited = RATE_LIMITED[kind]!.includes(Number(code));
  throw new ChatSendError(`${kind} refused the message: code ${String(code)} ${said}`.trim(), limited ? 60_000 : undefined);
}
