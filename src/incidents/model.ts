import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { Instant } from '../lib/time.js';
import { DETECTION_SOURCES, INCIDENT_STATUSES, type IncidentStatus } from './schemas.js';
import { modelOn } from '../lib/db.js';

const instant = new Schema({ at: { type: Date, required: true }, precision: { type: String, enum: ['minute', 'day'], required: true } }, { _id: false });
const strings = { type: [String], default: undefined };

const incidentSchema = new Schema(
  {
    key: { type: String, required: true, unique: true },
    year: { type: Number, required: true },
    seq: { type: Number, required: true },
    title: { type: String, required: true },
    summary: String,
    severity: { type: String, required: true },
    status: { type: String, enum: INCIDENT_STATUSES, required: true },
    timezone: { type: String, required: true },
    locale: { type: String, required: true },
    services: strings,
    tags: strings,
    owner: String,
    reporter: String,
    detection: { source: { type: String, enum: DETECTION_SOURCES }, detail: String },
    window: { startedAt: instant, detectedAt: instant, mitigatedAt: instant, resolvedAt: instant },
    impact: {
      summary: String,
      customerFacing: Boolean,
      affected: { type: [new Schema({ label: String, count: Number }, { _id: false })], default: undefined },
      errorRatios: { type: [new Schema({ label: String, totalRows: Number, errorRows: Number, stated: String }, { _id: false })], default: undefined },
    },
    cause: { trigger: String, rootCauses: strings, contributingFactors: strings },
    remediation: {
      summary: String,
      timeline: { type: [new Schema({ at: instant, text: String }, { _id: false })], default: undefined },
    },
    dataRepair: {
      description: String,
      range: { from: String, to: String },
      startedAt: instant,
      completedAt: instant,
      rowsRepaired: Number,
    },
    lessons: { wentWell: strings, wentWrong: strings, gotLucky: strings },
    review: { participants: strings, reportUrl: String },
    links: { type: [new Schema({ title: String, url: String }, { _id: false })], default: undefined },
    source: { reportTitle: String, text: String, fingerprint: String },
    closedAt: Date,
    // Who filed it (absent on incidents filed before it was kept: their first revision says).
    filedBy: String,
    version: { type: Number, required: true, default: 0 },
    // Set from the injected clock, not by mongoose, so tests can move time.
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: true },
);
// Lists, search and reports read the read model (src/lib/mirror.ts), not the collection: FerretDB would
// decode every document for any filter but _id, and each secondary index costs every write.

/** The stored shape, as services read it with lean(). */
export interface IncidentDoc {
  _id: Types.ObjectId;
  key: string;
  year: number;
  seq: number;
  title: string;
  summary?: string;
  severity: string;
  status: IncidentStatus;
  timezone: string;
  locale: string;
  services?: string[];
  tags?: string[];
  owner?: string;
  reporter?: string;
  detection?: { source?: string; detail?: string };
  window?: Partial<Record<'startedAt' | 'detectedAt' | 'mitigatedAt' | 'resolvedAt', Instant>>;
  impact?: {
    summary?: string;
    customerFacing?: boolean;
    affected?: { label: string; count: number }[];
    errorRatios?: { label: string; totalRows: number; errorRows: number; stated?: string }[];
  };
  cause?: { trigger?: string; rootCauses?: string[]; contributingFactors?: string[] };
  remediation?: { summary?: string; timeline?: { at: Instant; text: string }[] };
  dataRepair?: {
    description?: string;
    range?: { from: string; to: string };
    startedAt?: Instant;
    completedAt?: Instant;
    rowsRepaired?: number;
  };
  lessons?: { wentWell?: string[]; wentWrong?: string[]; gotLucky?: string[] };
  review?: { participants?: string[]; reportUrl?: string };
  links?: { title?: string; url: string }[];
  source?: { reportTitle?: string; text: string; fingerprint?: string };
  closedAt?: Date;
  filedBy?: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type IncidentModel = Model<IncidentDoc>;

export function incidentModel(conn: Connection): IncidentModel {
  return modelOn<IncidentDoc>(conn, 'Incident', incidentSchema);
}
