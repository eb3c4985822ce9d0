/**
 * Who may do what: the one table. Every API route names one permission; a role not listed for it
 * gets 403. Finer rules that depend on the record (an action's owner may move it; an author may not
 * approve their own postmortem) live in the services and say so.
 */
import { ROLES, type Role } from '../lib/roles.js';

export { ROLES, type Role };

const everyone: readonly Role[] = ROLES;

export const PERMISSIONS = {
  /** Read incidents, actions, documents, reviews, comments, stats. */
  read: everyone,
  /** File and edit incidents and their actions. */
  'incidents:write': ['admin', 'editor'],
  /** Move an action through its lifecycle; viewers and reviewers only when they own it (checked in the service). */
  'actions:transition': everyone,
  /** Comment on a postmortem and answer comments. */
  'comments:write': ['admin', 'editor', 'reviewer'],
  /** Ask for review, publish an approved postmortem. */
  'reviews:request': ['admin', 'editor'],
  /** Approve or request changes. */
  'reviews:decide': ['admin', 'reviewer'],
  /** Manage people, templates, the outbox and read the audit log. */
  admin: ['admin'],
  /** Manage one's own API tokens and profile. */
  self: everyone,
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
