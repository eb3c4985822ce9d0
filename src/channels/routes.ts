import express, { type Express } from 'express';
import { z } from 'zod';
import type { Api } from '../http/api.js';
import { actorOf } from '../http/actor.js';
import type { Clock } from '../lib/clock.js';
import type { ChatEvents } from './events.js';
import { channelParams, channelView, createChannelBody, patchChannelBody, testResultView } from './schemas.js';
import { channelView as toView, type ChannelsService } from './service.js';
import type { SlackInteractions } from './slack-interactions.js';

/** /api/v1/channels: admins only; answers never hold a channel's address key or secret. */
export function channelRoutes(api: Api, { channels, chatEvents, clock }: { channels: ChannelsService; chatEvents: ChatEvents; clock: Clock }): void {
  api.route({
    method: 'get',
    path: '/channels',
    tag: 'channels',
    summary: 'List chat channels (WeCom, Feishu, DingTalk, Slack, webhooks), without their secrets',
    permission: 'admin',
    response: z.array(channelView),
    handler: () => channels.list(),
  });
  api.route({
    method: 'post',
    path: '/channels',
    tag: 'channels',
    summary: 'Add a chat channel; its address and secret are stored encrypted and never shown again',
    permission: 'admin',
    body: createChannelBody,
    status: 201,
    response: channelView,
    handler: ({ req, body }) => channels.create(body, actorOf(req)),
  });
  api.route({
    method: 'get',
    path: '/channels/:id',
    tag: 'channels',
    summary: 'Read a chat channel',
    permission: 'admin',
    params: channelParams,
    response: channelView,
    handler: async ({ params }) => toView(await channels.find(params.id)),
  });
  api.route({
    method: 'patch',
    path: '/channels/:id',
    tag: 'channels',
    summary: "Change a chat channel's name, address, secret, events, route or language, or disable it",
    permission: 'admin',
    params: channelParams,
    body: patchChannelBody,
    response: channelView,
    handler: ({ req, params, body }) => channels.update(params.id, body, actorOf(req)),
  });
  api.route({
    method: 'delete',
    path: '/channels/:id',
    tag: 'channels',
    summary: 'Remove a chat channel',
    permission: 'admin',
    params: channelParams,
    response: channelView,
    handler: ({ req, params }) => channels.remove(params.id, actorOf(req)),
  });
  api.route({
    method: 'post',
    path: '/channels/:id/test',
    tag: 'channels',
    summary: 'Send a test message to a chat channel (through the outbox, within a minute)',
    permission: 'admin',
    params: channelParams,
    status: 202,
    response: testResultView,
    handler: async ({ params }) => {
      const keys = await chatEvents.test(await channels.find(params.id), clock.now());
      return { queued: keys.length, dedupeKeys: keys };
    },
  });
}

/**
 * Slack's interaction requests: not under /api (no session, no CSRF token; Slack's signature is the
 * credential), read raw because the signature covers the exact bytes. Answered 200 at once, as Slack
 * asks within three seconds; the reply goes to the thread through the outbox.
 */
export function slackInteractionRoutes(app: Express, { slackInteractions }: { slackInteractions: SlackInteractions }): void {
  app.post('/chat/slack/:id/interactions', express.raw({ type: () => true, limit: '100kb' }), async (req, res) => {
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    await slackInteractions.handle(String(req.params.id), { timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature') }, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    res.status(200).end();
  });
}
