import { z } from 'zod';
import { isDateText } from '../lib/time.js';

export const ACTION_TYPES = ['mitigate', 'prevent', 'detect', 'process', 'other'] as const;
export const ACTION_PRIORITIES = ['high', 'medium', 'low'] as const;
export const ACTION_STATUSES = ['open', 'in_progress', 'blocked', 'done', 'verified', 'wont_fix'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export type ActionPriority = (typeof ACTION_PRIORITIES)[number];
export type ActionStatus = (typeof ACTION_STATUSES)[number];
/** Statuses that count as closed for the incident closure rule, overdue checks and reminders. */
export const CLOSED_ACTION_STATUSES: readonly ActionStatus[] = ['done', 'verified', 'wont_fix'];

export const dueDate = z.string().refine(isDateText, 'must be a date like 2023-03-14');

export const ticket = z.strictObject({
  key: z.string().trim().min(1).max(100),
  url: z.url().max(2000).optional(),
});

/** A corrective action as filed with an incident or added to one later. */
export const actionInput = z.strictObject({
  title: z.string().trim().min(1).max(500),
  description: z.string().trim().max(20_000).optional(),
  type: z.enum(ACTION_TYPES).default('other'),
  priority: z.enum(ACTION_PRIORITIES).default('medium'),
  owner: z.email().max(254).toLowerCase().optional(),
  team: z.string().trim().min(1).max(100).optional(),
  dueDate: dueDate.optional(),
  ticket: ticket.optional(),
});
export type ActionInput = z.output<typeof actionInput>;
