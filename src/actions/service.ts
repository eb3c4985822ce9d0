import { DateTime } from 'luxon';
import type { Types } from 'mongoose';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { ActionDoc, ActionModel } from './model.js';
import { CLOSED_ACTION_STATUSES, type ActionInput, type ActionPriority, type ActionStatus } from './schemas.js';

interface Actor {
  email: string;
}

export function formatActionKey(incidentKey: string, seq: number): string {
  return `${incidentKey}-A${seq}`;
}

export class ActionsService {
  constructor(private readonly deps: { actions: ActionModel; clock: Clock; config: Config }) {}

  /** Creates the actions filed with an incident, numbered A1, A2, … in the order given. */
  async createForIncident(incident: IncidentDoc, inputs: ActionInput[], actor: Actor): Promise<void> {
    if (!inputs.length) return;
    const now = this.deps.clock.now();
    await this.deps.actions.insertMany(
      inputs.map((input, i) => this.newAction(incident, input, i + 1, now, actor)),
      { ordered: true },
    );
  }

  async deleteForIncident(incidentId: Types.ObjectId): Promise<void> {
    await this.deps.actions.deleteMany({ incidentId });
  }

  async listForIncident(incidentId: Types.ObjectId) {
    const docs = await this.deps.actions.find({ incidentId }).sort({ seq: 1 }).lean<ActionDoc[]>();
    return docs.map((d) => this.toView(d));
  }

  /** Actions that keep an incident from closing. */
  async openForIncident(incidentId: Types.ObjectId): Promise<{ key: string; title: string; status: string; owner: string | null }[]> {
    const docs = await this.deps.actions
      .find({ incidentId, status: { $nin: CLOSED_ACTION_STATUSES } })
      .sort({ seq: 1 })
      .lean<ActionDoc[]>();
    return docs.map((d) => ({ key: d.key, title: d.title, status: d.status, owner: d.owner ?? null }));
  }

  /** A missing due date comes from the priority's SLA, counted from the incident's resolution or from now. */
  slaDueDate(priority: ActionPriority, incident: IncidentDoc, now: Date): string {
    const { config } = this.deps;
    const days = { high: config.ACTION_SLA_DAYS_HIGH, medium: config.ACTION_SLA_DAYS_MEDIUM, low: config.ACTION_SLA_DAYS_LOW }[priority];
    const from = incident.window?.resolvedAt?.at ?? now;
    return DateTime.fromJSDate(from, { zone: incident.timezone }).plus({ days }).toFormat('yyyy-MM-dd');
  }

  isOverdue(action: Pick<ActionDoc, 'dueDate' | 'status' | 'timezone'>, now: Date): boolean {
    if (!action.dueDate || CLOSED_ACTION_STATUSES.includes(action.status as ActionStatus)) return false;
    const today = DateTime.fromJSDate(now, { zone: action.timezone }).toFormat('yyyy-MM-dd');
    return today > action.dueDate;
  }

  toView(doc: ActionDoc) {
    return {
      id: String(doc._id),
      key: doc.key,
      incidentKey: doc.incidentKey,
      title: doc.title,
      description: doc.description ?? undefined,
      type: doc.type,
      priority: doc.priority,
      status: doc.status,
      owner: doc.owner ?? null,
      unowned: !doc.owner,
      team: doc.team ?? undefined,
      dueDate: doc.dueDate ?? undefined,
      dueDateSource: doc.dueDateSource ?? undefined,
      overdue: this.isOverdue(doc, this.deps.clock.now()),
      timezone: doc.timezone,
      ticket: doc.ticket?.key ? doc.ticket : undefined,
      version: doc.version,
      createdAt: doc.createdAt.toISOString(),
      updatedAt: doc.updatedAt.toISOString(),
    };
  }

  private newAction(incident: IncidentDoc, input: ActionInput, seq: number, now: Date, actor: Actor) {
    return {
      ...input,
      key: formatActionKey(incident.key, seq),
      seq,
      incidentId: incident._id,
      incidentKey: incident.key,
      status: 'open',
      timezone: incident.timezone,
      dueDate: input.dueDate ?? this.slaDueDate(input.priority, incident, now),
      dueDateSource: input.dueDate ? 'given' : 'sla',
      history: [{ at: now, by: actor.email, field: 'created', to: input.title }],
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
  }
}
