import { Schema, type Connection, type Model } from 'mongoose';
import { modelOn } from '../lib/db.js';

/**
 * One service of the catalog, keyed by its name (the name incidents list under "services"), so it is
 * read by _id. A deleted service is kept as a tombstone (`removed`), so its revisions stay its history
 * and the name can be added again without clashing with them (src/lib/revisions.ts ids carry the name).
 */
export interface CatalogServiceDoc {
  _id: string;
  ownerTeam?: string;
  /** The availability system it counts toward (AVAILABILITY_SYSTEMS or one named here); absent: none. */
  system?: string;
  description?: string;
  removed?: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const catalogServiceSchema = new Schema<CatalogServiceDoc>(
  {
    _id: { type: String, required: true },
    ownerTeam: String,
    system: String,
    description: String,
    removed: Boolean,
    version: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'catalog_services' },
);

export type CatalogServiceModel = Model<CatalogServiceDoc>;

export function catalogServiceModel(conn: Connection): CatalogServiceModel {
  return modelOn<CatalogServiceDoc>(conn, 'CatalogService', catalogServiceSchema);
}
