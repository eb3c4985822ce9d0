import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { modelOn } from '../lib/db.js';

const rendering = new Schema(
  { template: { type: String, required: true }, locale: { type: String, required: true }, format: { type: String, required: true }, text: { type: String, required: true } },
  { _id: false },
);

/**
 * A frozen rendering of an incident's documents: written once, never updated. Its _id is
 * "<incident id>:<number>" (snapshotId), so it is read by _id and numbering without transactions is
 * an insert that a second writer of the same number cannot win.
 */
const snapshotSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: Schema.Types.ObjectId, required: true },
    incidentKey: { type: String, required: true },
    number: { type: Number, required: true },
    incidentVersion: { type: Number, required: true },
    note: String,
    renderings: { type: [rendering], required: true },
    /** The template data the texts were rendered from, so a snapshot can be explained and re-rendered. */
    data: { type: Schema.Types.Mixed, required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
export const snapshotId = (incidentId: Types.ObjectId, number: number) => `${String(incidentId)}:${number}`;

export interface SnapshotDoc {
  _id: string;
  incidentId: Types.ObjectId;
  incidentKey: string;
  number: number;
  incidentVersion: number;
  note?: string;
  renderings: { template: string; locale: string; format: string; text: string }[];
  data: Record<string, unknown>;
  createdBy: string;
  createdAt: Date;
}

export type SnapshotModel = Model<SnapshotDoc>;

export function snapshotModel(conn: Connection): SnapshotModel {
  return modelOn<SnapshotDoc>(conn, 'Snapshot', snapshotSchema);
}
