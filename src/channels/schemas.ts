import { z } from 'zod';
import { errorResponse } from '../http/api.js';
import { LOCALES } from '../lib/config.js';
import { CHANNEL_EVENTS, CHANNEL_KINDS } from './model.js';

const names = z.array(z.string().trim().min(1).max(100)).max(100);
const route = z.strictObject({ services: names.default([]), teams: names.default([]), severities: names.default([]) });
const endpoint = z
  .url()
  .max(2000)
    // Zod runs a refinement after a failed check too: an unparseable value is the url check's to report.
  .refine((v) => !URL.canParse(v) || ['https:', 'http:'].includes(new URL(v).protocol), 'must be an http:// or https:// address');

export const createChannelBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  kind: z.enum(CHANNEL_KINDS),
  url: endpoint.describe('the robot or webhook address (WeCom: …/webhook/send?key=…, Feishu: …/bot/v2/hook/…, DingTalk: …/robot/send?access_token=…, Slack: an incoming webhook)'),
  secret: z.string().min(1).max(500).optional().describe('Feishu / DingTalk signing secret, Standard Webhooks secret (whsec_…); stored encrypted, never shown again'),
  events: z.array(z.enum(CHANNEL_EVENTS)).min(1).max(CHANNEL_EVENTS.length).default([...CHANNEL_EVENTS]),
  route: route.default({ services: [], teams: [], severities: [] }),
  locale: z.enum(LOCALES).optional().describe("messages in this language; unset: each incident's own"),
  disabled: z.boolean().default(false),
});
export type CreateChannelInput = z.output<typeof createChannelBody>;

export const patchChannelBody = z.strictObject({
  version: z.number().int().min(0),
  name: z.string().trim().min(1).max(100).optional(),
  url: endpoint.optional(),
  secret: z.string().min(1).max(500).nullable().optional().describe('a new secret, or null to remove it'),
  events: z.array(z.enum(CHANNEL_EVENTS)).min(1).max(CHANNEL_EVENTS.length).optional(),
  route: route.optional(),
  locale: z.enum(LOCALES).nullable().optional(),
  disabled: z.boolean().optional(),
});
export type PatchChannelInput = z.output<typeof patchChannelBody>;

export const channelParams = z.strictObject({ id: z.string().min(1).max(60) });

export const channelView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(CHANNEL_KINDS),
  /** The address without its query (WeCom and DingTalk carry their key there). */
  endpoint: z.string(),
  hasSecret: z.boolean(),
  interactionsPath: z.string().optional().describe("Slack: the path (after BASE_URL) to give the Slack app as its Interactivity Request URL; the channel's secret is the app's signing secret"),
  events: z.array(z.enum(CHANNEL_EVENTS)),
  route: z.object({ services: z.array(z.string()), teams: z.array(z.string()), severities: z.array(z.string()) }),
  locale: z.enum(LOCALES).optional(),
  disabled: z.boolean(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ChannelView = z.infer<typeof channelView>;

/** What a generic webhook receives (Standard Webhooks: type, timestamp, data), by event. */
export const WEBHOOK_EVENTS = ['incident.filed', 'incident.status', 'review.requested', 'review.changes_requested', 'review.approved', 'review.published', 'action.assigned', 'actions.overdue', 'report.weekly', 'test'] as const;
export const webhookPayload = z.object({
  type: z.enum(WEBHOOK_EVENTS),
  timestamp: z.iso.datetime(),
  data: z
    .looseObject({
      title: z.string().describe("the message's title, in the channel's language"),
      text: z.string().describe('its lines as plain text'),
      url: z.url().optional(),
      incident: z.string().optional().describe('the incident key'),
      action: z.string().optional().describe('the action key'),
    })
    .describe('the event fields (incident key, severity, status, services; action, owner, due date; overdue actions) and the readable text'),
});

/** The OpenAPI document's `webhooks`: one entry per event a generic webhook channel is sent, signed per Standard Webhooks. */
export function webhookDocs(): Record<string, unknown> {
  const schema = z.toJSONSchema(webhookPayload, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  delete schema.$schema;
  const signed = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({ name, in: 'header', required: true, schema: { type: 'string' } }));
  return Object.fromEntries(
    WEBHOOK_EVENTS.map((event) => [
      event,
      {
        post: {
          summary: `Chat event ${event}, to a webhook channel`,
          description: 'Signed per the Standard Webhooks specification with the channel secret (see docs/chat.md); answer 2xx to take it.',
          parameters: signed,
          requestBody: { required: true, content: { 'application/json': { schema } } },
          responses: { '200': { description: 'Taken' } },
        },
      },
    ]),
  );
}

/** The OpenAPI entry of the Slack interactions endpoint (outside /api/v1: Slack's signature is its credential). */
export function slackInteractionsDoc(): Record<string, unknown> {
  const header = (name: string, description: string) => ({ name, in: 'header', required: true, description, schema: { type: 'string' } });
  return {
    '/chat/slack/{id}/interactions': {
      post: {
        tags: ['channels'],
        summary: "Slack's Interactivity Request URL for a Slack channel: snooze and new-due-date clicks on the overdue summary",
        description:
          "Slack signs each request with the channel's secret (the Slack app's signing secret): X-Slack-Signature = v0= hex HMAC-SHA256 of v0:<timestamp>:<body>. Refused when the signature does not match (403), when older than five minutes (403) or when seen before (409). The answer is posted in the message's thread. See docs/chat.md.",
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          header('X-Slack-Request-Timestamp', 'seconds since 1970'),
          header('X-Slack-Signature', 'v0=<hex>'),
        ],
        requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { payload: { type: 'string', description: 'a block_actions payload (JSON)' } }, required: ['payload'] } } } },
        responses: {
          '200': { description: 'Taken (an empty answer)', content: { 'text/plain': { schema: { type: 'string', maxLength: 0 } } } },
          '400': errorResponse('Not a block_actions payload'),
          '403': errorResponse('Signature missing, wrong, or older than five minutes'),
          '404': errorResponse('No enabled Slack channel with a signing secret'),
          '409': errorResponse('Replayed: this request was handled before'),
          default: errorResponse('Any other error'),
        },
      },
    },
  };
}

export const testResultView = z.object({ queued: z.number().int(), dedupeKeys: z.array(z.string()) });
