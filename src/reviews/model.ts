import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { REVIEW_STATUSES, type ReviewStatus } from './schemas.js';
import { modelOn } from '../lib/db.js';

/**
 * The review of one incident's postmortem; rounds keep which incident version each review looked at.
 * Its _id is the incident's, so it is read by _id (FerretDB scans for any other filter).
 */
export interface ReviewDoc {
  _id: Types.ObjectId;
  incidentId: Types.ObjectId;
  incidentKey: string;
  status: ReviewStatus;
  /** Who asked for review; with the incident owner, the postmortem's authors. */
  author?: string;
  reviewers: string[];
  noActionReason?: string;
  rounds: { number: number; incidentVersion: number; requestedBy: string; requestedAt: Date; note?: string }[];
  decisions: { round: number; reviewer: string; decision: 'approve' | 'request_changes'; note?: string; incidentVersion: number; at: Date }[];
  publishedSnapshot?: number;
  publishedAt?: Date;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const reviewSchema = new Schema<ReviewDoc>(
  {
    incidentId: { type: Schema.Types.ObjectId, required: true },
    incidentKey: { type: String, required: true },
    status: { type: String, enum: REVIEW_STATUSES, required: true },
    author: String,
    reviewers: { type: [String], default: [] },
    noActionReason: String,
    rounds: { type: Schema.Types.Mixed, default: [] },
    decisions: { type: Schema.Types.Mixed, default: [] },
    publishedSnapshot: Number,
    publishedAt: Date,
    version: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

/** Comments are read per incident from the read model (src/lib/mirror.ts), so they need no secondary index. */
export interface CommentDoc {
  _id: Types.ObjectId;
  incidentId: Types.ObjectId;
  incidentKey: string;
  /** The first comment of a thread has no threadId; replies carry their thread's id. */
  threadId?: Types.ObjectId;
  anchor?: { section: string; actionKey?: string };
  author: string;
  body: string;
  mentions: string[];
  resolved?: boolean;
  resolvedBy?: string;
  resolvedAt?: Date;
  /** Resolving and reopening are versioned edits (comments stored before versions read as 0). */
  version: number;
  createdAt: Date;
}

const commentSchema = new Schema<CommentDoc>(
  {
    incidentId: { type: Schema.Types.ObjectId, required: true },
    incidentKey: { type: String, required: true },
    threadId: Schema.Types.ObjectId,
    anchor: { section: String, actionKey: String },
    author: { type: String, required: true },
    body: { type: String, required: true },
    mentions: { type: [String], default: [] },
    resolved: Boolean,
    resolvedBy: String,
    resolvedAt: Date,
    version: { type: Number, default: 0 },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type ReviewModel = Model<ReviewDoc>;
export type CommentModel = Model<CommentDoc>;

export function reviewModels(conn: Connection): { reviews: ReviewModel; comments: CommentModel } {
  return {
    reviews: modelOn<ReviewDoc>(conn, 'Review', reviewSchema),
    comments: modelOn<CommentDoc>(conn, 'Comment', commentSchema),
  };
}
