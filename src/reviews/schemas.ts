import { z } from 'zod';
import { emailAddress } from '../lib/formats.js';

export const REVIEW_STATUSES = ['draft', 'in_review', 'changes_requested', 'approved', 'published'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** The parts of a postmortem a comment can point at. */
export const SECTIONS = ['summary', 'impact', 'cause', 'timeline', 'remediation', 'dataRepair', 'lessons', 'action'] as const;

export const anchor = z
  .strictObject({
    section: z.enum(SECTIONS),
    actionKey: z.string().max(100).optional().describe('the action, when section is "action"'),
  })
  .superRefine((a, ctx) => {
    if (a.section === 'action' && !a.actionKey) ctx.addIssue({ code: 'custom', path: ['actionKey'], message: 'required when section is action' });
    if (a.section !== 'action' && a.actionKey) ctx.addIssue({ code: 'custom', path: ['actionKey'], message: 'only for section action' });
  });

const body = z.string().trim().min(1).max(20_000);

export const newThreadBody = z.strictObject({ anchor, body });
export const replyBody = z.strictObject({ body });
export const commentParams = z.strictObject({ key: z.string().max(100), id: z.string().max(100) });

export const requestReviewBody = z.strictObject({
  reviewers: z.array(emailAddress()).min(1).max(10),
  noActionReason: z.string().trim().min(1).max(5000).optional().describe('why no corrective action is needed, when there is none'),
  note: z.string().trim().max(5000).optional(),
});
export const decisionBody = z.strictObject({
  decision: z.enum(['approve', 'request_changes']),
  note: z.string().trim().max(5000).optional(),
});
export const publishBody = z.strictObject({ note: z.string().trim().max(2000).optional() });
export const diffParams = z.strictObject({
  key: z.string().max(100),
  a: z.coerce.number().int().min(1),
  b: z.coerce.number().int().min(1),
});
