import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { ACTION_PRIORITIES, ACTION_STATUSES, ACTION_TYPES } from './schemas.js';
import { modelOn } from '../lib/db.js';

const historyEntry = new Schema(
  {
    at: { type: Date, required: true },
    by: { type: String, required: true },
    field: { type: String, required: true },
    from: Schema.Types.Mixed,
    to: Schema.Types.Mixed,
    note: String,
  },
  { _id: false },
);

/**
 * An action's _id is its key (INC-2023-0002-A1), unique per incident and number: FerretDB finds a
 * record by _id from its primary key and scans the collection for any other filter, so lists are
 * answered from the read model (src/lib/mirror.ts) and no secondary index is needed.
 */
const actionSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    seq: { type: Number, required: true },
    incidentId: { type: Schema.Types.ObjectId, required: true },
    incidentKey: { type: String, required: true },
    title: { type: String, required: true },
    description: String,
    type: { type: String, enum: ACTION_TYPES, required: true },
    priority: { type: String, enum: ACTION_PRIORITIES, required: true },
    status: { type: String, enum: ACTION_STATUSES, required: true, default: 'open' },
    owner: String,
    team: String,
    /** A calendar date (yyyy-MM-dd) in `timezone`. */
    dueDate: String,
    dueDateSource: { type: String, enum: ['given', 'sla'] },
    /** Where the SLA counts from, kept so a cleared due date or a new priority can be refilled by policy. */
    slaFrom: { type: Date, required: true },
    /** For actions filed with the postmortem: when the team committed to them (the incident's resolution), which reports count them from. */
    postmortemAt: Date,
    timezone: { type: String, required: true },
    ticket: { key: String, url: String },
    statusReason: String,
    completionNote: String,
    evidence: { type: [String], default: undefined },
    doneAt: Date,
    verifiedBy: String,
    verifiedAt: Date,
    recheckOn: String,
    /** The owner's own reminders are quiet before this date (yyyy-MM-dd in `timezone`). */
    snoozedUntil: String,
    recurredIn: String,
    history: { type: [historyEntry], default: [] },
    version: { type: Number, required: true, default: 0 },
    // Set from the injected clock, not by mongoose, so tests can move time.
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: true },
);

export type ActionDoc = InferSchemaType<typeof actionSchema> & { _id: string; createdAt: Date; updatedAt: Date };
export type ActionModel = Model<ActionDoc>;

export function actionModel(conn: Connection): ActionModel {
  return modelOn<ActionDoc>(conn, 'Action', actionSchema);
}
