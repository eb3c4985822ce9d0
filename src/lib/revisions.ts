import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { insertNew, modelOn } from './db.js';
import { REMOVED, type Feed } from './feed.js';
import { markWritten } from './request-scope.js';

/**
 * Versioned writes that stay correct on FerretDB, whose conditional updates are not atomic across
 * concurrent writers: a writer first claims version N+1 by inserting the new state as a revision
 * (unique on entity, id and version), and only the winner then replaces the document. A writer that
 * died between the two steps is rolled forward by the next reader, so an acknowledged change is never lost.
 * The revisions double as the record's history of states (a new incident's first state is the record
 * itself until its first edit keeps it as a revision).
 *
 * A revision's _id is "<entity>:<id>:<version>": FerretDB on SQLite answers lookups by _id from its
 * primary key but scans for any other filter, and every read checks for a newer revision.
 *
 * The claimed change is announced on the change feed before the document is replaced, so every
 * process's read model reloads the record (rolling it forward itself if the writer stopped).
 */
type EntityId = Types.ObjectId | string;

export interface RevisionDoc {
  _id: string;
  entity: string;
  entityId: EntityId;
  version: number;
  state: Record<string, unknown>;
  by: string;
  at: Date;
}

const revisionSchema = new Schema<RevisionDoc>(
  {
    _id: { type: String, required: true },
    entity: { type: String, required: true },
    // An ObjectId, or the record's own key where that is its _id (actions).
    entityId: { type: Schema.Types.Mixed, required: true },
    version: { type: Number, required: true },
    state: { type: Schema.Types.Mixed, required: true },
    by: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
revisionSchema.index({ entity: 1, entityId: 1, version: 1 }, { unique: true });

export const revisionId = (entity: string, entityId: EntityId, version: number) => `${entity}:${String(entityId)}:${version}`;

export type RevisionModel = Model<RevisionDoc>;

export function revisionModel(conn: Connection): RevisionModel {
  return modelOn<RevisionDoc>(conn, 'Revision', revisionSchema);
}

interface Versioned {
  _id: EntityId;
  version: number;
}

export class Revisions {
  constructor(
    private readonly revisions: RevisionModel,
    private readonly feed: Feed,
  ) {}

  /**
   * Replaces `current` with `next` (which must carry version current.version + 1) and returns the
   * record as stored (cast by the model; Mirror.learn puts its _id first, as the store does), which this
   * process's read model keeps at once (Feed.stored), so neither the writer nor a reader reads it back.
   * Returns undefined when another writer got that version first, changing nothing, or when the record
   * is no longer there to replace.
   */
  async replace<T extends Versioned>(
    model: Model<T>,
    entity: string,
    current: T,
    next: Omit<T, '_id'>,
    by: string,
    at: Date,
    /** Who made `current` and when, to keep it as a revision too (a new record's first state, not kept when it was stored). */
    kept?: { by: string; at: Date },
  ): Promise<T | undefined> {
    const version = current.version + 1;
    if (next.version !== version) throw new Error(`next state must carry version ${version}`);
    const id = String(current._id);
    // Claimed and announced at once (one round trip, not two): both land before the record is written,
    // in either order. Announced as anyone's write: if the claim fails, the announcement names the
    // version another writer claimed, which every read model (this one too) must look for, and roll
    // forward if that writer stopped before writing or announcing it.
    const announced = this.feed.append(entity, id, version);
    // Awaited below; a failed append must not go unhandled while the claim is still under way.
    announced.catch(() => undefined);
    const claim = { _id: revisionId(entity, current._id, version), entity, entityId: current._id, version, state: next, by, at };
    // The kept state goes first in the command (the store writes them in turn): a writer stopped between the two leaves it, true whoever claims next.
    const { _id: _currentId, ...state } = current;
    const docs = kept ? [{ _id: revisionId(entity, current._id, current.version), entity, entityId: current._id, version: current.version, state, ...kept }, claim] : [claim];
    // Another writer may have kept the same state already: only the claim's own key decides.
    const claimed = (await insertNew(this.revisions, docs)).at(-1);
    if (!claimed) {
      await announced;
      // What the request reads next must show the version that won: a catch-up from before now may have missed it.
      markWritten();
      return undefined;
    }
    await announced;
    // The version is this process's now: its read model keeps what it writes instead of looking for it meanwhile.
    this.feed.writing([{ entity, id, v: version }]);
    const stored = new model({ _id: current._id, ...next }).toObject() as T;
    const { _id, ...fields } = stored;
    const { matchedCount } = await model.replaceOne({ _id, version: current.version } as never, fields as never);
    // Nothing replaced: the record is gone (its filing undone meanwhile), or it was stored before records
    // had versions (readers roll it forward to this revision, which is claimed and announced).
    if (!matchedCount && !(await model.exists({ _id } as never))) {
      // Gone: said on the feed, so every read model (this one too, though its write was under way) drops it.
      await this.feed.append(entity, String(_id), REMOVED);
      return undefined;
    }
    // Written: kept by this process's read model at once, so its next read need not look for it. (One
    // stored before versions stays to be rolled forward by a reader, which looks once this request ends.)
    if (matchedCount) this.feed.stored(entity, stored);
    return stored;
  }

  async state(entity: string, entityId: EntityId, version: number): Promise<RevisionDoc | undefined> {
    return (await this.revisions.findById(revisionId(entity, entityId, version)).lean<RevisionDoc>()) ?? undefined;
  }

  /** `current`'s state at `version`: at its own version the record itself (a new incident's first state is kept as a revision from its first edit on), else that revision's. */
  async stateAt<T extends Versioned>(entity: string, current: T, version: number): Promise<Omit<T, '_id'> | undefined> {
    if (version === current.version) {
      const { _id, ...state } = current;
      return state;
    }
    return (await this.state(entity, current._id, version))?.state as Omit<T, '_id'> | undefined;
  }

  /**
   * Applies a claimed revision whose writer stopped before replacing the document. At most one can be
   * pending: claiming the next version starts from a read that has rolled this one forward.
   */
  async rollForward<T extends Versioned>(model: Model<T>, entity: string, doc: T): Promise<T> {
    // Records kept from before they had versions count as version 0.
    const version = doc.version ?? 0;
    const latest = await this.revisions.findById(revisionId(entity, doc._id, version + 1)).lean<RevisionDoc>();
    if (!latest) return doc;
    await model.replaceOne({ _id: doc._id, ...(doc.version === undefined ? {} : { version }) } as never, latest.state as never);
    // _id first, as the store keeps it, so the record compares equal to a stored one (Mirror.drift).
    return { _id: doc._id, ...(latest.state as Omit<T, '_id'>) } as T;
  }
}
