import { z } from 'zod';
import { ACTION_PRIORITIES, ACTION_STATUSES, ACTION_TYPES } from '../actions/schemas.js';
import { INCIDENT_STATUSES } from '../incidents/schemas.js';
import { OUTBOX_STATUSES } from '../mail/outbox.js';
import { REVIEW_STATUSES, SECTIONS } from '../reviews/schemas.js';
import { ROLES } from '../users/permissions.js';

/**
 * What the API answers, for the OpenAPI document (responses are not validated at run time; the fuzz
 * run checks them). Objects are open (more fields may come); the fields named are always as typed.
 */
const int = z.number().int();
const instantText = z.string().describe('ISO 8601 instant in UTC');
const nullableText = z.string().nullable();
const open = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: int, page: int, pageSize: int });

const instantWithPrecision = open({ at: z.string(), precision: z.enum(['minute', 'day']) });
const span = open({ minutes: z.number(), approximate: z.boolean(), iso: z.string() });

export const actionView = open({
  id: z.string(),
  key: z.string(),
  incidentKey: z.string(),
  title: z.string(),
  type: z.enum(ACTION_TYPES),
  priority: z.enum(ACTION_PRIORITIES),
  status: z.enum(ACTION_STATUSES),
  owner: nullableText.optional(),
  unowned: z.boolean(),
  overdue: z.boolean(),
  dueDate: nullableText.optional(),
  evidence: z.array(z.string()).optional(),
  version: int,
  createdAt: instantText,
  updatedAt: instantText,
});

export const incidentView = open({
  id: z.string(),
  key: z.string(),
  title: z.string(),
  severity: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  timezone: z.string(),
  locale: z.string(),
  instants: z.record(z.string(), instantWithPrecision).optional(),
  durations: z.record(z.string(), span).optional(),
  version: int,
  createdAt: instantText,
  updatedAt: instantText,
  actions: z.array(actionView).optional(),
});

const counts = { total: int, open: int, overdue: int, unowned: int, done: int, verified: int, wontFix: int };
export const actionStatsView = open({
  ...counts,
  byOwner: z.array(open({ owner: nullableText, ...counts })),
  byTeam: z.array(open({ team: nullableText, ...counts })),
  timeToDone: open({ count: int, medianDays: z.number().nullable(), p90Days: z.number().nullable() }),
  withinSla: open({ closed: int, onTime: int, share: z.number().nullable() }),
  oldestOpen: z.array(open({ key: z.string(), title: z.string(), incidentKey: z.string(), status: z.enum(ACTION_STATUSES), owner: nullableText, overdue: z.boolean(), ageDays: z.number() })),
});

export const historyView = z.array(open({ at: instantText, by: z.string(), field: z.string(), from: z.unknown(), to: z.unknown() }));

export const templatesView = z.object({
  items: z.array(open({ id: z.string(), kind: z.string(), name: z.string(), locale: nullableText, format: z.string(), source: z.enum(['builtin', 'user']), overrides: z.boolean() })),
});
export const variablesView = open({
  variables: z.array(open({ path: z.string(), type: z.string(), required: z.boolean() })),
  frame: z.array(open({ path: z.string(), description: z.string() })),
  helpers: z.array(open({ name: z.string(), usage: z.string(), description: z.string() })),
});
export const previewView = z.object({ locale: z.string(), format: z.string(), output: z.string(), html: z.string().optional() });

const snapshotHead = { incidentKey: z.string(), number: int, incidentVersion: int, createdBy: z.string(), createdAt: instantText, note: z.string().optional() };
export const snapshotView = open({
  ...snapshotHead,
  renderings: z.array(open({ template: z.string(), locale: z.string(), format: z.string(), text: z.string() })),
  data: z.record(z.string(), z.unknown()),
});
export const snapshotListView = z.object({ items: z.array(open({ ...snapshotHead, renderings: z.array(open({ template: z.string(), locale: z.string(), format: z.string() })) })) });

export const userView = open({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  timezone: z.string(),
  locale: z.string(),
  disabled: z.boolean(),
  hasPassword: z.boolean(),
  chat: z.object({ wecom: z.string().optional(), feishu: z.string().optional(), dingtalk: z.string().optional(), slack: z.string().optional() }).optional(),
  version: int,
  createdAt: instantText,
  updatedAt: instantText,
});
export const tokenView = open({ id: z.string(), name: z.string(), prefix: z.string(), createdAt: instantText, lastUsedAt: nullableText, revokedAt: nullableText });
export const newTokenView = tokenView.extend({ token: z.string().describe('shown once; only its hash is kept') });

export const auditView = listOf(open({ id: z.string(), entity: z.string(), key: z.string(), event: z.string(), by: z.string(), at: instantText, changes: z.array(open({ field: z.string() })).optional() }));

export const reviewView = open({
  incidentKey: z.string(),
  status: z.enum(REVIEW_STATUSES),
  author: nullableText,
  reviewers: z.array(open({ email: z.string(), decision: z.enum(['approve', 'request_changes']).nullable() })),
  round: int,
  note: nullableText.describe('the note to reviewers typed when this round was requested'),
  decisions: z.array(open({ round: int, reviewer: z.string(), decision: z.enum(['approve', 'request_changes']), note: z.string().optional().describe("the reviewer's note"), incidentVersion: int, at: instantText })),
  publishedSnapshot: int.nullable(),
  publishedAt: nullableText,
  publishedVersion: int.nullable().describe('the incident version the published snapshot shows; a later incident version means it was edited since'),
  version: int,
});
export const roundsView = z.array(open({ number: int, incidentVersion: int, requestedBy: z.string(), requestedAt: instantText, note: z.string().optional() }));
export const diffView = open({
  from: open({ round: int, incidentVersion: int }),
  to: open({ round: int, incidentVersion: int }),
  changes: z.array(open({ field: z.string() })),
});

const comment = { id: z.string(), author: z.string(), body: z.string(), mentions: z.array(z.string()), createdAt: instantText };
export const replyView = open({ ...comment, threadId: z.string().optional() });
export const threadView = open({
  ...comment,
  anchor: open({ section: z.enum(SECTIONS), actionKey: z.string().optional() }),
  resolved: z.boolean().optional(),
  replies: z.array(open(comment)).optional(),
});

export const outboxMessageView = open({ id: z.string(), dedupeKey: z.string(), kind: z.string(), to: z.string(), subject: z.string(), status: z.enum(OUTBOX_STATUSES), attempts: int, createdAt: instantText });
export const outboxView = listOf(outboxMessageView);

/** The body of every error answer (src/http/error-handler.ts). */
export const errorView = z.object({
  error: open({
    status: int,
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});
