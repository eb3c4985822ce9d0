import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey, modelOn } from './db.js';

/**
 * "Exactly once" on FerretDB, whose conditional updates are not atomic across writers: whoever
 * inserts a key first owns it; everyone else is told no. Used for single-use links and sends. The key
 * is the claim's `_id`, so asking whether it was taken is an `_id` read.
 */
interface ClaimDoc {
  _id: string;
  by: string;
  at: Date;
}

const claimSchema = new Schema<ClaimDoc>(
  { _id: { type: String, required: true }, by: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false },
);

export type ClaimModel = Model<ClaimDoc>;

export function claimModel(conn: Connection): ClaimModel {
  return modelOn<ClaimDoc>(conn, 'Claim', claimSchema);
}

export class Claims {
  constructor(private readonly claims: ClaimModel) {}

  /** True for the first caller with this key, false for every later one. */
  async claim(key: string, by: string, at: Date): Promise<boolean> {
    try {
      await this.claims.create({ _id: key, by, at });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** Whether someone claimed this key. */
  async taken(key: string): Promise<boolean> {
    return (await this.claims.findById(key).select('_id').lean()) !== null;
  }
}
