import { term } from '../documents/format.js';
import { ui } from '../documents/ui-strings.js';
import type { Actor } from '../http/actor.js';
import type { Locale } from '../lib/config.js';
import { CLOSED_ACTION_STATUSES, type ActionStatus } from './schemas.js';
import { ACTION_TRANSITIONS, mayAcceptWontFix, mayMove } from './transitions.js';

/**
 * The moves a page offers the viewer for an action, each with the inputs its rule asks for (the service
 * checks again). `incidentOwner` lets an incident's owner decline its actions.
 */
export function moves(actor: Actor, action: { status: string; owner: string | null }, incidentOwner: string | undefined, locale: Locale) {
  const from = action.status as ActionStatus;
  const closed = (s: ActionStatus) => CLOSED_ACTION_STATUSES.includes(s);
  return ACTION_TRANSITIONS[from]
    .filter((to) => mayMove(actor, { owner: action.owner ?? undefined }, to))
    .filter((to) => to !== 'wont_fix' || mayAcceptWontFix(actor, { owner: incidentOwner }))
    .filter((to) => to !== 'verified' || actor.email !== action.owner)
    .map((to) => {
      const reopen = closed(from) && !closed(to);
      return {
        to,
        label: reopen ? ui(locale, 'move.reopen', { status: term('actionStatus', to, locale) }) : ui(locale, `move.${to}`),
        reason: reopen || to === 'blocked' || to === 'wont_fix',
        note: to === 'done',
        evidence: to === 'done' || to === 'verified',
        recheckOn: to === 'verified',
        recurredIn: reopen,
      };
    });
}

/** The name under which a refused move of an action keeps what was typed, for the incident page. */
export const moveForm = (actionKey: string, to: string) => `move:${actionKey}:${to}`;
