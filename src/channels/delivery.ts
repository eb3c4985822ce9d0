import { isDuplicateKey } from '../lib/db.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { ChatDelivery, OutboxDoc } from '../mail/outbox.js';
import type { ChannelDoc, ChannelModel, SlotModel } from './model.js';
import { ChatSendError, checkAnswer, PLATFORMS, signedRequest } from './platforms.js';
import type { SecretBox } from './secrets.js';

/** Where this process is in a channel's current rate window: the next slot number to try, or that it is full. */
interface WindowState {
  start: number;
  next: number;
  full: boolean;
}

/**
 * Posts the outbox's chat messages. Pacing: each platform allows so many posts per window per robot
 * (src/channels/platforms.ts); a post first takes one of the window's numbered slots by inserting
 * `<channel>:<window ms>:<window start>:<n>`, so every worker together stays within the limit, and a
 * message finding the window full waits for the next one without spending an attempt.
 */
export class ChannelDelivery implements ChatDelivery {
  private readonly windows = new Map<string, WindowState>();

  constructor(private readonly deps: { channels: ChannelModel; slots: SlotModel; box: SecretBox; clock: Clock; config: Config }) {}

  async pace(message: OutboxDoc, now: Date): Promise<Date | undefined> {
    const channel = await this.deps.channels.findById(message.to).select('kind').lean<Pick<ChannelDoc, 'kind'>>();
    // A removed channel takes no slot: the send says why it failed.
    if (!channel) return undefined;
    for (const w of PLATFORMS[channel.kind].windows) {
      const start = Math.floor(now.getTime() / w.ms) * w.ms;
      const name = `${message.to}:${w.ms}`;
      let state = this.windows.get(name);
      if (!state || state.start !== start) this.windows.set(name, (state = { start, next: 0, full: false }));
      if (!state.full) state.full = !(await this.takeSlot(`${name}:${start}`, state, w.max, now));
      if (state.full) return new Date(start + w.ms);
    }
    return undefined;
  }

  private async takeSlot(window: string, state: WindowState, max: number, now: Date): Promise<boolean> {
    for (; state.next < max; state.next++) {
      try {
        await this.deps.slots.create({ _id: `${window}:${state.next}`, at: now });
        state.next++;
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    return false;
  }

  async send(message: OutboxDoc): Promise<void> {
    const { box, clock, config } = this.deps;
    const channel = await this.deps.channels.findById(message.to).lean<ChannelDoc>();
    if (!channel) throw new ChatSendError(`channel ${message.to} was removed`);
    if (channel.disabled) throw new ChatSendError(`channel ${channel.name} is disabled`);
    const secret = channel.sealedSecret ? box.open(channel.sealedSecret) : undefined;
    const url = box.open(message.sealedReplyUrl ?? channel.sealedUrl);
    const request = signedRequest(channel.kind, url, secret, JSON.parse(message.payload ?? '{}'), clock.now(), `msg_${String(message._id)}`);
    let answer: Response;
    try {
      answer = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(config.CHANNEL_TIMEOUT_MS) });
    } catch (err) {
      // Said without the address: it holds the robot's key.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ChatSendError(`could not reach ${channel.endpoint}: ${cause?.code ?? cause?.message ?? (err as Error).name}`);
    }
    checkAnswer(channel.kind, answer.status, answer.headers.get('retry-after'), await answer.text());
  }
}
