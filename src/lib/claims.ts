import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from './db.js';

/**
 * "Exactly once" on FerretDB, whose conditional updates are not atomic across writers: whoever
 * inserts a key first owns it; everyone else is told no. Used for single-use links and sends.
 */
interface ClaimDoc {
  key: string;
  by: string;
  at: Date;
}

const claimSchema = new Schema<ClaimDoc>(
  { key: { type: String, required: true, unique: true }, by: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false },
);

export type ClaimModel = Model<ClaimDoc>;

export function claimModel(conn: Connection): ClaimModel {
  return (conn.models.Claim as ClaimModel | undefined) ?? conn.model<ClaimDoc>('Claim', claimSchema);
}

export class Claims {
  constructor(private readonly claims: ClaimModel) {}

  /** True for the first caller with this key, false for every later one. */
  async claim(key: string, by: string, at: Date): Promise<boolean> {
    try {
      await this.claims.create({ key, by, at });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
}
