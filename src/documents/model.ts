import { Schema, type Connection, type Model, type Types } from 'mongoose';

const rendering = new Schema(
  { template: { type: String, required: true }, locale: { type: String, required: true }, format: { type: String, required: true }, text: { type: String, required: true } },
  { _id: false },
);

/** A frozen rendering of an incident's documents: written once, never updated. */
const snapshotSchema = new Schema(
  {
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
// Numbering without transactions: two freezes may pick the same number; this index refuses the second.
snapshotSchema.index({ incidentId: 1, number: 1 }, { unique: true });

export interface SnapshotDoc {
  _id: Types.ObjectId;
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
  return (conn.models.Snapshot as SnapshotModel | undefined) ?? conn.model<SnapshotDoc>('Snapshot', snapshotSchema);
}
