import { Schema, type Connection, type Model } from 'mongoose';
import { modelOn } from '../lib/db.js';

export const CHANNEL_KINDS = ['wecom', 'feishu', 'dingtalk', 'slack', 'webhook'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
export const CHANNEL_EVENTS = ['incident.filed', 'incident.status', 'review', 'action.assigned', 'actions.overdue', 'report.weekly'] as const;
export type ChannelEvent = (typeof CHANNEL_EVENTS)[number];

/** Where a Slack app's Interactivity Request URL points for one channel (its signing secret is the channel's). */
export const slackInteractionsPath = (channelId: string) => `/chat/slack/${encodeURIComponent(channelId)}/interactions`;

/**
 * A chat robot or webhook the service posts to. Admins keep a handful, so reading them all is a small,
 * bounded read (not history); the secret is only ever held sealed (src/channels/secrets.ts).
 */
export interface ChannelDoc {
  _id: string;
  name: string;
  kind: ChannelKind;
  /** The address shown to admins: origin and path, without the key or token it carries. */
  endpoint: string;
  /** The full address, sealed: WeCom's `key`, DingTalk's `access_token` and Slack's or Feishu's hook path are secrets too. */
  sealedUrl: string;
  sealedSecret?: string;
  events: ChannelEvent[];
  /** Empty lists: every incident. Otherwise an incident is posted when it matches any listed service, team (of its owner) or severity. */
  route: { services: string[]; teams: string[]; severities: string[] };
  locale?: string;
  disabled: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const channelSchema = new Schema<ChannelDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    kind: { type: String, enum: CHANNEL_KINDS, required: true },
    endpoint: { type: String, required: true },
    sealedUrl: { type: String, required: true },
    sealedSecret: String,
    events: { type: [String], enum: CHANNEL_EVENTS, required: true },
    route: { services: [String], teams: [String], severities: [String] },
    locale: String,
    disabled: { type: Boolean, required: true },
    version: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'channels' },
);

/** A chat message's send slot in a channel's rate window: whoever inserts `<channel>:<window>:<n>` first may send. */
interface SlotDoc {
  _id: string;
  at: Date;
}
const slotSchema = new Schema<SlotDoc>({ _id: { type: String, required: true }, at: { type: Date, required: true } }, { versionKey: false, collection: 'channel_slots' });

export type ChannelModel = Model<ChannelDoc>;
export type SlotModel = Model<SlotDoc>;

export function channelModels(conn: Connection): { channels: ChannelModel; channelSlots: SlotModel } {
  return {
    channels: modelOn<ChannelDoc>(conn, 'Channel', channelSchema),
    channelSlots: modelOn<SlotDoc>(conn, 'ChannelSlot', slotSchema),
  };
}
