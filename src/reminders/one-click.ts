import { z } from 'zod';
import type { ActionsService } from '../actions/service.js';
import type { ActionDoc } from '../actions/model.js';
import { ACTION_STATUSES, CLOSED_ACTION_STATUSES, dueDate, type ActionStatus } from '../actions/schemas.js';
import type { Clock } from '../lib/clock.js';
import { datePlusDays, localDate } from '../lib/time.js';
import { Conflict, DomainError, Forbidden, type FieldError } from '../lib/errors.js';
import { zodFieldErrors } from '../http/validate.js';
import { LinkRefused, type ActionLinks, type LinkOp, type LinkToken } from './links.js';

const SNOOZE_DAYS = 7;
/** Statuses that still owe work, reminded until done, verified or wont_fix. */
const OPEN: readonly ActionStatus[] = ACTION_STATUSES.filter((s) => !CLOSED_ACTION_STATUSES.includes(s));

/** What each operation asks for on the confirmation page. */
const forms = {
  // Done needs a completion note and evidence (the actions rule); the page asks for both.
  done: z.object({ note: z.string().trim().min(1, 'required').max(20_000), evidence: z.string().trim().min(1, 'required').max(2_000) }),
  snooze: z.object({}),
  due: z.object({ dueDate }),
} satisfies Record<LinkOp, z.ZodType>;

export interface LinkPage {
  /** The HTTP status of a form or applied page; a refused page's follows from its `refusal`. */
  status?: number;
  refusal?: DomainError;
  /** form: confirm first; applied: the change was made; refused: nothing changed. */
  state: 'form' | 'applied' | 'refused';
  op?: LinkOp;
  message?: string;
  errors?: FieldError[];
  values?: Record<string, string>;
  action?: { key: string; title: string; status: string; dueDate?: string; snoozeUntil: string };
}

/**
 * The one-click links: opening one only shows a confirmation page (mail scanners follow links);
 * posting the page applies the change through the actions service, which records it in the
 * action's history under the recipient's name.
 */
export class OneClick {
  constructor(private readonly deps: { links: ActionLinks; actions: ActionsService; clock: Clock }) {}

  async open(token: string): Promise<LinkPage> {
    return this.guard(async () => {
      const { link, action } = await this.check(token);
      if (await this.deps.links.used(link)) throw new LinkRefused('used');
      return { status: 200, state: 'form', op: link.op, action: this.summary(action) };
    });
  }

  async confirm(token: string, body: Record<string, unknown>): Promise<LinkPage> {
    return this.guard(async () => {
      const { link, action } = await this.check(token);
      const values = Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      const parsed = forms[link.op].safeParse(values);
      if (!parsed.success) {
        return { status: 400, state: 'form', op: link.op, action: this.summary(action), values, errors: zodFieldErrors(parsed.error) };
      }
      const form = parsed.data as Partial<{ note: string; evidence: string; dueDate: string }>;
      if (link.op === 'due' && form.dueDate! < this.today(action)) {
        return { status: 400, state: 'form', op: link.op, action: this.summary(action), values, errors: [{ field: 'dueDate', message: 'must be today or later', said: { id: 'dueNotBefore', params: { today: this.today(action) } } }] };
      }
      // Taken before the change: of two clicks (or a replay) exactly one goes on.
      if (!(await this.deps.links.use(link))) throw new LinkRefused('used');
      const actor = { email: link.recipient };
      const { actions } = this.deps;
      if (link.op === 'done') await actions.transition(action.key, { to: 'done', note: form.note!, evidence: [form.evidence!] }, actor);
      if (link.op === 'snooze') await actions.patch(action.key, { version: action.version, snoozedUntil: this.summary(action).snoozeUntil }, actor);
      if (link.op === 'due') await actions.patch(action.key, { version: action.version, dueDate: form.dueDate! }, actor);
      return { status: 200, state: 'applied', op: link.op, action: this.summary(await actions.find(action.key)) };
    });
  }

  /** The link is genuine and current, and its action is still open and still the recipient's. */
  private async check(token: string): Promise<{ link: LinkToken; action: ActionDoc }> {
    const link = await this.deps.links.verify(token);
    const action = await this.deps.actions.find(link.actionKey);
    if (action.owner !== link.recipient) throw new Forbidden(`${action.key} is no longer assigned to ${link.recipient}`).saying('actionReassigned', { key: action.key, email: link.recipient });
    if (!OPEN.includes(action.status as ActionStatus)) throw new Conflict(`${action.key} is already ${action.status}`).saying('actionClosed', { key: action.key, actionStatus: action.status });
    return { link, action };
  }

  private async guard(fn: () => Promise<LinkPage>): Promise<LinkPage> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DomainError) return { state: 'refused', refusal: err, message: err.message };
      throw err;
    }
  }

  private today(action: ActionDoc): string {
    return localDate(action.timezone, this.deps.clock.now());
  }

  private summary(action: ActionDoc): NonNullable<LinkPage['action']> {
    const snoozeUntil = datePlusDays(this.today(action), SNOOZE_DAYS);
    return { key: action.key, title: action.title, status: action.status, ...(action.dueDate ? { dueDate: action.dueDate } : {}), snoozeUntil };
  }
}
