import { z } from 'zod';
import { isDateText } from '../lib/time.js';
import { pageQuery } from '../http/paging.js';
import { emailAddress, isRefusedLink, LINK_MESSAGE, linkUrl } from '../lib/formats.js';

export const ACTION_TYPES = ['mitigate', 'prevent', 'detect', 'process', 'other'] as const;
export const ACTION_PRIORITIES = ['high', 'medium', 'low'] as const;
export const ACTION_STATUSES = ['open', 'in_progress', 'blocked', 'done', 'verified', 'wont_fix'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export type ActionPriority = (typeof ACTION_PRIORITIES)[number];
export type ActionStatus = (typeof ACTION_STATUSES)[number];
/** Statuses that count as closed for the incident closure rule, overdue checks and reminders. */
export const CLOSED_ACTION_STATUSES: readonly ActionStatus[] = ['done', 'verified', 'wont_fix'];
export const isClosed = (status: unknown) => CLOSED_ACTION_STATUSES.includes(status as ActionStatus);
/** Statuses an owner still has work in. */
export const OPEN_ACTION_STATUSES: readonly ActionStatus[] = ACTION_STATUSES.filter((s) => !isClosed(s));

export const dueDate = z.string().refine(isDateText, 'must be a date like 2023-03-14').meta({ format: 'date' });

export const ticket = z.strictObject({
  key: z.string().trim().min(1).max(100),
  url: linkUrl().optional(),
});

const owner = emailAddress();
const team = z.string().trim().min(1).max(100);
const incidentKey = z
  .string()
  .regex(/^INC-\d{4}-\d{4,}$/i, 'must be an incident key like INC-2023-0002')
  .transform((v) => v.toUpperCase());

/** A corrective action as filed with an incident or added to one later. */
export const actionInput = z.strictObject({
  title: z.string().trim().min(1).max(500),
  description: z.string().trim().max(20_000).optional(),
  type: z.enum(ACTION_TYPES).default('other'),
  priority: z.enum(ACTION_PRIORITIES).default('medium'),
  owner: owner.optional(),
  team: team.optional(),
  dueDate: dueDate.optional(),
  ticket: ticket.optional(),
});
export type ActionInput = z.output<typeof actionInput>;

/** PATCH replaces the fields it names; null clears (a cleared due date is refilled from the SLA). */
export const patchActionBody = z.strictObject({
  version: z.number().int().min(0),
  title: actionInput.shape.title.optional(),
  description: z.string().trim().max(20_000).nullable().optional(),
  type: z.enum(ACTION_TYPES).optional(),
  priority: z.enum(ACTION_PRIORITIES).optional(),
  owner: owner.nullable().optional(),
  team: team.nullable().optional(),
  dueDate: dueDate.nullable().optional(),
  ticket: ticket.nullable().optional(),
  recurredIn: incidentKey.nullable().optional().describe('the incident where the same cause came back'),
  snoozedUntil: dueDate.nullable().optional().describe("no reminders to the owner before this date; null ends the snooze"),
  // Named so a client trying to PATCH the status learns where status changes go.
  status: z.undefined({ error: 'change the status with POST /api/v1/actions/{key}/transitions' }).optional(),
});
export type PatchActionInput = z.output<typeof patchActionBody>;

const note = z.string().trim().min(1).max(20_000);
/** Evidence is a link or a sentence: the merged change, the new alert, the runbook. One or several. */
const evidenceItem = note.refine((v) => !isRefusedLink(v), `a link ${LINK_MESSAGE}`);
const evidence = z
  .union([evidenceItem, z.array(evidenceItem).min(1).max(20)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

export const transitionBody = z
  .strictObject({
    to: z.enum(ACTION_STATUSES),
    note: note.optional().describe('completion note for done; a comment otherwise'),
    evidence: evidence.optional().describe('for done (and verified): links or text showing the fix'),
    reason: note.optional().describe('required for blocked, wont_fix and reopening'),
    recheckOn: dueDate.optional().describe('verified only: the date the fix must be confirmed to hold again'),
    recurredIn: incidentKey.optional().describe('when reopening: the incident where the same cause came back'),
    version: z.number().int().min(0).optional().describe('the version you read; 409 when stale'),
  })
  .superRefine((b, ctx) => {
    if (b.recheckOn && b.to !== 'verified') ctx.addIssue({ code: 'custom', path: ['recheckOn'], message: 'only with to=verified' });
    if (b.evidence && b.to !== 'done' && b.to !== 'verified') {
      ctx.addIssue({ code: 'custom', path: ['evidence'], message: 'only with to=done or to=verified' });
    }
    if (b.recurredIn && b.to !== 'open' && b.to !== 'in_progress') {
      ctx.addIssue({ code: 'custom', path: ['recurredIn'], message: 'only when reopening (to=open or to=in_progress); otherwise PATCH it' });
    }
  });
export type TransitionInput = z.output<typeof transitionBody>;

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)))
    .optional();
const flag = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();

/** Filters shared by the list and the stats. */
const actionFilters = {
  owner: z.string().max(254).optional(),
  team: z.string().max(100).optional(),
  status: csv(ACTION_STATUSES).describe('comma-separated statuses'),
  type: csv(ACTION_TYPES).describe('comma-separated types'),
  priority: csv(ACTION_PRIORITIES).describe('comma-separated priorities'),
  incident: z.string().max(100).optional().describe('incident key'),
  severity: z.string().max(200).optional().describe("comma-separated severities of the actions' incidents"),
  service: z.string().max(100).optional().describe("a service of the actions' incidents"),
  unowned: flag.describe('true: only actions without an owner; false: only owned ones'),
};

export const ACTION_SORTS = ['dueDate', 'createdAt', 'updatedAt', 'key', 'status'] as const;

export const listActionsQuery = z.strictObject({
  ...actionFilters,
  overdue: flag.describe("true: due date passed in the owner's time zone and not done/verified/wont_fix"),
  dueBefore: dueDate.optional().describe('due on or before this date'),
  dueAfter: dueDate.optional().describe('due on or after this date'),
  q: z.string().max(200).optional().describe('free text over title and description'),
  sort: z.enum([...ACTION_SORTS, ...ACTION_SORTS.map((s) => `-${s}` as const)]).default('dueDate'),
  ...pageQuery,
});
export type ListActionsQuery = z.output<typeof listActionsQuery>;

export const actionStatsQuery = z.strictObject(actionFilters);
export type ActionFilters = z.output<typeof actionStatsQuery>;

export const actionKeyParams = z.strictObject({ key: z.string().max(100) });
