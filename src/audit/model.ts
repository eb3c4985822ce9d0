import { Schema, type Connection, type Model } from 'mongoose';
import { modelOn } from '../lib/db.js';

export interface AuditDoc {
  /**
   * The entry's number in the log, zero-padded (a Sequence, src/lib/sequence.ts), so the log is read
   * by `_id`; entries written before entries were numbered keep their ObjectId.
   */
  _id: string;
  entity: 'incident' | 'action' | 'comment' | 'review' | 'user' | 'token' | 'service' | 'channel';
  /** The record's key (INC-2023-0002, INC-2023-0002-A1) or id. */
  key: string;
  /** The incident the record belongs to, for filtering an incident's whole story. */
  incidentKey?: string;
  event: string;
  by: string;
  at: Date;
  changes: { field: string; from?: unknown; to?: unknown }[];
  note?: string;
}

const auditSchema = new Schema<AuditDoc>(
  {
    _id: { type: String, required: true },
    entity: { type: String, required: true },
    key: { type: String, required: true },
    incidentKey: { type: String, index: true },
    event: { type: String, required: true },
    by: { type: String, required: true, index: true },
    at: { type: Date, required: true, index: true },
    changes: { type: Schema.Types.Mixed, default: [] },
    note: String,
  },
  { versionKey: false, minimize: false },
);

export type AuditModel = Model<AuditDoc>;

export function auditModel(conn: Connection): AuditModel {
  return modelOn<AuditDoc>(conn, 'Audit', auditSchema);
}
