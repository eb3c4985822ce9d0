import { z } from 'zod';
import { LOCALES } from '../lib/config.js';
import { ROLES } from './permissions.js';
import { emailAddress, timeZone } from '../lib/formats.js';

const zone = timeZone();
export const password = z.string().min(12, 'must be at least 12 characters').max(200);

const chatId = z.string().trim().min(1).max(100).regex(/^[\w.@+-]+$/, 'letters, digits and . _ @ + - only');
/** Whom chat messages mention: WeCom user id or mobile, Feishu open_id (ou_…), DingTalk user id or mobile, Slack member id (U…). */
export const chatIdentities = z.strictObject({ wecom: chatId.optional(), feishu: chatId.optional(), dingtalk: chatId.optional(), slack: chatId.optional() });

export const createUserBody = z.strictObject({
  email: emailAddress(),
  name: z.string().trim().min(1).max(200),
  role: z.enum(ROLES),
  timezone: zone.optional(),
  locale: z.enum(LOCALES).optional(),
  team: z.string().trim().min(1).max(100).optional(),
  manager: emailAddress().optional(),
  password: password.optional(),
});
export type CreateUserInput = z.output<typeof createUserBody>;

export const patchUserBody = z.strictObject({
  version: z.number().int().min(0),
  name: z.string().trim().min(1).max(200).optional(),
  role: z.enum(ROLES).optional(),
  timezone: zone.optional(),
  locale: z.enum(LOCALES).optional(),
  team: z.string().trim().min(1).max(100).nullable().optional(),
  manager: emailAddress().nullable().optional(),
  disabled: z.boolean().optional(),
  chat: chatIdentities.nullable().optional(),
});
export type PatchUserInput = z.output<typeof patchUserBody>;

export const createTokenBody = z.strictObject({ name: z.string().trim().min(1).max(100) });
export const userParams = z.strictObject({ user: z.string().max(254) });
export const tokenParams = z.strictObject({ id: z.string().max(100) });
