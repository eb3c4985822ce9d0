import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import Handlebars from 'handlebars';
import { z } from 'zod';
import { localMessage } from '../documents/format.js';
import { ui } from '../documents/ui-strings.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { Claims, type ClaimModel } from '../lib/claims.js';
import { BadRequest, DomainError, NotFound } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Outbox } from '../mail/outbox.js';
import type { ActionLinks } from '../reminders/links.js';
import type { LinkPage, OneClick } from '../reminders/one-click.js';
import type { UserDoc } from '../users/model.js';
import type { ChannelDoc } from './model.js';
import type { SecretBox } from './secrets.js';
import type { ChannelsService } from './service.js';

/** Slack refuses requests signed more than five minutes ago ("Verifying requests from Slack"); so do we. */
const MAX_AGE_S = 5 * 60;

/**
 * What Slack posts when someone uses a Block Kit element (docs.slack.dev, reference "block_actions
 * payloads"): form-encoded `payload=<json>`. Only the fields read here are required.
 */
const blockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1) }),
  response_url: z.string().url(),
  container: z.object({ message_ts: z.string().optional(), thread_ts: z.string().optional() }).partial().optional(),
  message: z.object({ ts: z.string().optional(), thread_ts: z.string().optional() }).partial().optional(),
  actions: z
    .array(z.object({ action_id: z.string(), block_id: z.string().optional(), value: z.string().optional(), selected_date: z.string().optional() }))
    .min(1),
});
type BlockActions = z.infer<typeof blockActions>;

/** Why an interaction was refused before anything was read from it (HTTP 401). */
export class SlackSignatureRefused extends DomainError {
  constructor(reason: string) {
    super('forbidden', 'slack_signature', `Slack request refused: ${reason}`);
  }
}

/** A second delivery of a request already handled (the same signature within its five minutes). */
export class SlackReplay extends DomainError {
  constructor() {
    super('conflict', 'slack_replay', 'This Slack request was already handled');
  }
}

type PeopleByEmail = (emails: string[]) => Promise<Map<string, UserDoc>>;

/**
 * Button clicks and date picks from Slack messages (the overdue summary's "snooze" and "new due date").
 * Each request must carry Slack's signature of `v0:<timestamp>:<body>` with the channel's signing secret,
 * be at most five minutes old and be new; the element carries the same signed one-click token as the
 * emails, and only the person it was made for (by their Slack member id) may use it. The change goes
 * through OneClick, as a confirmed link page would; the answer is posted in the message's thread through
 * the outbox, to the response_url Slack gave.
 */
export class SlackInteractions {
  constructor(
    private readonly deps: {
      channels: ChannelsService;
      box: SecretBox;
      claims: ClaimModel;
      oneClick: OneClick;
      links: ActionLinks;
      people: PeopleByEmail;
      outbox: Outbox;
      clock: Clock;
      config: Config;
      logger: Logger;
    },
  ) {}

  /** Checks and handles one interaction request to `channelId`; throws a DomainError when refused. */
  async handle(channelId: string, headers: { timestamp?: string; signature?: string }, raw: Buffer): Promise<void> {
    const channel = await this.channel(channelId);
    const signature = this.verify(channel, headers, raw);
    // The signature is unique to its timestamp and body: a request seen before is a replay.
    const seen = createHash('sha256').update(signature).digest('base64url');
    if (!(await new Claims(this.deps.claims).claim(`slack:${channel._id}:${seen}`, 'slack', this.deps.clock.now()))) throw new SlackReplay();
    const interaction = this.parse(raw);
    const [action] = interaction.actions;
    // "Mark done" and the date page are links: Slack opens them and tells us too; nothing to do here.
    if (action!.action_id === 'snooze') await this.apply(channel, interaction, action!.value ?? '', {}, seen);
    else if (action!.action_id === 'due') await this.apply(channel, interaction, action!.block_id ?? '', { dueDate: action!.selected_date ?? '' }, seen);
  }

  private async channel(id: string): Promise<ChannelDoc> {
    let channel: ChannelDoc;
    try {
      channel = await this.deps.channels.find(id);
    } catch (err) {
      if (err instanceof NotFound) throw new NotFound(`Slack channel ${id}`);
      throw err;
    }
    if (channel.kind !== 'slack' || channel.disabled || !channel.sealedSecret) throw new NotFound(`Slack channel ${id}`);
    return channel;
  }

  /** Slack's request signature ("Verifying requests from Slack"): v0= hex HMAC-SHA256 of `v0:<ts>:<body>`. */
  private verify(channel: ChannelDoc, headers: { timestamp?: string; signature?: string }, raw: Buffer): string {
    const ts = Number(headers.timestamp);
    if (!headers.timestamp || !Number.isInteger(ts)) throw new SlackSignatureRefused('no X-Slack-Request-Timestamp');
    if (Math.abs(this.deps.clock.now().getTime() / 1000 - ts) > MAX_AGE_S) throw new SlackSignatureRefused('the request is older than five minutes');
    const secret = this.deps.box.open(channel.sealedSecret!);
    const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${headers.timestamp}:`).update(raw).digest('hex')}`);
    const given = Buffer.from(headers.signature ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SlackSignatureRefused('the signature does not match');
    return expected.toString();
  }

  private parse(raw: Buffer): BlockActions {
    const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
    let data: unknown;
    try {
      data = JSON.parse(payload ?? '');
    } catch {
      throw new BadRequest('Invalid Slack interaction', [{ field: 'payload', message: 'must be the JSON Slack sends' }]);
    }
    const parsed = blockActions.safeParse(data);
    if (!parsed.success) throw new BadRequest('Invalid Slack interaction', [{ field: 'payload', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }]);
    return parsed.data;
  }

  /** Uses the token when the clicker is its recipient, and answers in the thread either way. */
  private async apply(channel: ChannelDoc, interaction: BlockActions, token: string, form: Record<string, string>, seen: string): Promise<void> {
    const recipient = await this.deps.links.recipientOf(token);
    const person = recipient ? (await this.deps.people([recipient])).get(recipient) : undefined;
    const locale = channel.locale ?? person?.locale ?? this.deps.config.DEFAULT_LOCALE;
    const clicker = `<@${interaction.user.id}>`;
    let text: string;
    let visible: 'in_channel' | 'ephemeral' = 'in_channel';
    if (recipient && person?.chat?.slack !== interaction.user.id) {
      // A token is its recipient's: someone else in the channel gets a note only they see.
      const key = (await this.deps.links.verify(token).catch(() => undefined))?.actionKey ?? '';
      text = ui(locale, 'chat.slack.notYours', { owner: person?.chat?.slack ? `<@${person.chat.slack}>` : (person?.name ?? recipient), key });
      visible = 'ephemeral';
    } else {
      text = this.answer(await this.deps.oneClick.confirm(token, form), clicker, locale);
    }
    const thread = interaction.container?.thread_ts ?? interaction.message?.thread_ts ?? interaction.container?.message_ts ?? interaction.message?.ts;
    // Slack's "Handling user interaction": a response_url message, not replacing the original, in its thread.
    const body = { response_type: visible, replace_original: false, text, ...(thread && visible === 'in_channel' ? { thread_ts: thread } : {}) };
    await this.deps.outbox.enqueue({
      dedupeKey: `chat:${channel._id}:slack-reply:${seen}`,
      kind: 'slack.reply',
      transport: 'chat',
      to: channel._id,
      subject: text,
      text,
      html: `<pre>${Handlebars.escapeExpression(text)}</pre>`,
      payload: JSON.stringify(body),
      sealedReplyUrl: this.deps.box.seal(interaction.response_url),
    });
  }

  /** What the thread reads: the change made, or why nothing changed, in the channel's language. */
  private answer(page: LinkPage, who: string, locale: string): string {
    if (page.state === 'applied' && page.action) {
      return page.op === 'snooze'
        ? ui(locale, 'chat.slack.snoozed', { who, key: page.action.key, date: page.action.snoozeUntil })
        : ui(locale, 'chat.slack.due', { who, key: page.action.key, date: page.action.dueDate ?? '' });
    }
    const reason = page.refusal ? localMessage(page.refusal, locale) : (page.errors ?? []).map((e) => localMessage(e, locale)).join('; ');
    return ui(locale, 'chat.slack.refused', { reason });
  }
}
