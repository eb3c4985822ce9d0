import { Schema, type Connection, type Model } from 'mongoose';
import { modelOn } from '../lib/db.js';

/**
 * One imported weekly-report entry, keyed by its fingerprint (`_id`): inserting it claims the entry, so
 * of two imports of the same text exactly one files it. Read only by `_id` (FerretDB scans any other filter).
 */
export interface ImportFingerprintDoc {
  _id: string;
  claimedAt: Date;
  by: string;
  /** Set once the incident is filed; a claim without it is an import in progress (or one that stopped midway). */
  incidentKey?: string;
  reportTitle?: string;
}

export type ImportFingerprintModel = Model<ImportFingerprintDoc>;

export function importFingerprintModel(conn: Connection): ImportFingerprintModel {
  const schema = new Schema<ImportFingerprintDoc>(
    {
      _id: { type: String, required: true },
      claimedAt: { type: Date, required: true },
      by: { type: String, required: true },
      incidentKey: String,
      reportTitle: String,
    },
    { versionKey: false },
  );
  return modelOn<ImportFingerprintDoc>(conn, 'ImportFingerprint', schema);
}
