import type { Actor as RequestActor } from '../http/actor.js';
import type { IncidentDoc } from '../incidents/model.js';
import { Conflict, Forbidden, Unprocessable, type FieldError } from '../lib/errors.js';
import { localDate } from '../lib/time.js';
import { can, type Permission } from '../users/permissions.js';
import type { ActionDoc } from './model.js';
import { isClosed, type ActionStatus, type TransitionInput } from './schemas.js';

/**
 * Who acts: the email (history, verifier) and the role (who may move what). Without a role (a one-click
 * link from an email) the actor has only the rights of an action owner.
 */
export type Actor = Pick<RequestActor, 'email'> & Partial<Pick<RequestActor, 'role'>>;
const hasRight = (actor: Actor, permission: Permission) => !!actor.role && can(actor.role, permission);

/** Where each status may go. Leaving done, verified or wont_fix is a reopen and needs a reason. */
export const ACTION_TRANSITIONS: Record<ActionStatus, ActionStatus[]> = {
  open: ['in_progress', 'blocked', 'done', 'wont_fix'],
  in_progress: ['open', 'blocked', 'done', 'wont_fix'],
  blocked: ['open', 'in_progress', 'done', 'wont_fix'],
  done: ['verified', 'open', 'in_progress'],
  verified: ['open', 'in_progress'],
  wont_fix: ['open', 'in_progress'],
};

/** Approvers (who may decide on postmortems) accept wont_fix for any action; the incident owner for theirs. */
export function mayAcceptWontFix(actor: Actor, incident: Pick<IncidentDoc, 'owner'>): boolean {
  return hasRight(actor, 'reviews:decide') || (!!incident.owner && actor.email === incident.owner);
}

/**
 * Editors move any action; anyone moves the actions they own; approvers also verify and decline
 * others' actions (the rules for verified and wont_fix then apply).
 */
export function mayMove(actor: Actor, action: Pick<ActionDoc, 'owner'>, to: ActionStatus): boolean {
  if (hasRight(actor, 'incidents:write') || (!!action.owner && actor.email === action.owner)) return true;
  return (to === 'verified' || to === 'wont_fix') && hasRight(actor, 'reviews:decide');
}

/** A 422 that names the rule a transition broke. */
function ruleFailed(rule: string, message: string, fields: FieldError[]): Unprocessable {
  return new Unprocessable(message, fields, { rule });
}

/** What the action needs to read while a move is checked. */
export interface MoveContext {
  incidentOf(doc: ActionDoc): Promise<IncidentDoc>;
  checkRecurredIn(incidentKey: string, doc: ActionDoc): Promise<void>;
}

/**
 * The fields a move of `doc` to `input.to` by `actor` at `now` changes, once every rule holds: the
 * allowed steps, who may move it, a reason to block, decline or reopen, a note and evidence to mark it
 * done, and a verifier who is neither its owner nor whoever marked it done.
 */
export async function transitionChanges(doc: ActionDoc, input: TransitionInput, actor: Actor, now: Date, ctx: MoveContext): Promise<Record<string, unknown>> {
  const from = doc.status as ActionStatus;
  const { to } = input;
  const allowed = ACTION_TRANSITIONS[from];
  if (!allowed.includes(to)) {
    throw new Conflict(`Action ${doc.key} cannot move from ${from} to ${to}; allowed: ${allowed.join(', ')}`, {
      rule: 'allowed-transitions',
      from,
      to,
      allowed,
    }).saying('moveNotAllowed', { key: doc.key, actionStatus: from });
  }
  if (!mayMove(actor, doc, to)) {
    throw new Forbidden(`A ${actor.role ?? 'link holder'} may move only the actions they own; ${doc.key} is ${doc.owner ? `owned by ${doc.owner}` : 'unowned'}`, {
      rule: 'own-actions-only',
    }).saying('ownActionsOnly', { key: doc.key });
  }
    const changes: Record<string, unknown> = { status: to, statusReason: undefined };
  const needReason = (rule: string, why: string) => {
    if (!input.reason) throw ruleFailed(rule, `${why} needs a reason`, [{ field: 'reason', message: `required when ${why}` }]).saying('moveNeedsReason', { key: doc.key });
    changes.statusReason = input.reason;
  };

  if (isClosed(from) && !isClosed(to)) {
    const incident = await ctx.incidentOf(doc);
    if (incident.status === 'closed') {
      throw new Conflict(`Incident ${incident.key} is closed; reopen it before reopening ${doc.key}`, { rule: 'incident-closed' }).saying('incidentClosedFirst', { incident: incident.key, key: doc.key });
    }
    needReason('reopen-needs-reason', `reopening a ${from} action`);
    // The old completion and verification no longer hold; history keeps them.
    Object.assign(changes, { completionNote: undefined, evidence: undefined, doneAt: undefined, verifiedBy: undefined, verifiedAt: undefined, recheckOn: undefined });
  }
  if (input.recurredIn) {
    await ctx.checkRecurredIn(input.recurredIn, doc);
    changes.recurredIn = input.recurredIn;
  }

  if (to === 'blocked') needReason('blocked-needs-reason', 'blocking an action');
  if (to === 'wont_fix') {
    needReason('wont-fix-needs-reason', 'declining an action (wont_fix)');
    const incident = await ctx.incidentOf(doc);
    if (!mayAcceptWontFix(actor, incident)) {
      throw new Forbidden(`Only the owner of incident ${incident.key} or an approver (admin, reviewer) may accept wont_fix`, {
        rule: 'wont-fix-needs-approver',
      }).saying('wontFixNeedsApprover', { incident: incident.key });
    }
  }
  if (to === 'done') {
    const missing: FieldError[] = [];
    if (!input.note) missing.push({ field: 'note', message: 'required when marking done: what was changed' });
    if (!input.evidence) missing.push({ field: 'evidence', message: 'required when marking done: a link or text (the merged change, the new alert, the runbook)' });
    if (missing.length) throw ruleFailed('done-needs-note-and-evidence', `Marking ${doc.key} done needs a completion note and evidence`, missing).saying('doneNeedsNoteAndEvidence', { key: doc.key });
    Object.assign(changes, { completionNote: input.note, evidence: input.evidence, doneAt: now });
  }
  if (to === 'verified') {
    if (doc.owner && actor.email === doc.owner) {
      throw ruleFailed('verifier-not-owner', `${doc.key} must be verified by someone other than its owner (${doc.owner})`, [
        { field: 'actor', message: 'the owner cannot verify their own action', said: { id: 'verifierIsOwner', params: {} } },
      ]).saying('verifierNotOwner', { key: doc.key, email: doc.owner });
    }
    // Verification is a second pair of eyes: whoever marked it done (the last time) cannot be them.
    const markedDoneBy = doc.history.filter((h) => h.field === 'status' && h.to === 'done').at(-1)?.by;
    if (markedDoneBy && actor.email === markedDoneBy) {
      throw ruleFailed('verifier-not-completer', `${doc.key} must be verified by someone other than the person who marked it done (${markedDoneBy})`, [
        { field: 'actor', message: 'whoever marked the action done cannot verify it', said: { id: 'verifierMarkedDone', params: {} } },
      ]).saying('verifierNotCompleter', { key: doc.key, email: markedDoneBy });
    }
    if (input.recheckOn && input.recheckOn <= localDate(doc.timezone, now)) {
      const today = localDate(doc.timezone, now);
      throw ruleFailed('recheck-in-future', 'A recheck date must be after today', [{ field: 'recheckOn', message: `must be after ${today}`, said: { id: 'afterToday', params: { today } } }]).saying('recheckAfterToday');
    }
    Object.assign(changes, {
      verifiedBy: actor.email,
      verifiedAt: now,
      recheckOn: input.recheckOn,
      evidence: input.evidence ? [...(doc.evidence ?? []), ...input.evidence] : doc.evidence,
    });
  }
  return changes;
}
