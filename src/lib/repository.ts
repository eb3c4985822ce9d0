import type { Model } from 'mongoose';
import { insertPlain, isDuplicateKey } from './db.js';
import { REMOVED, type Feed, type FeedChange } from './feed.js';
import type { Mirror } from './mirror.js';
import type { Revisions } from './revisions.js';

/**
 * The one way a service writes a mirrored record (incident, action, user, review, comment, credential):
 * each write is announced on the change feed, then made, then handed to this process's read model, so
 * "how does a write reach the other processes?" has one answer, here. The order is what keeps
 * "nothing acknowledged is lost": an announcement lands before the write it names, so a writer that
 * stops after writing has always announced it, and a reader that arrives in between keeps looking
 * (src/lib/mirror.ts). Versioned edits claim their version and announce it at once (src/lib/revisions.ts).
 */
export interface WritePath {
  feed: Feed;
  mirror: Mirror;
  revisions: Revisions;
}

interface Stored {
  _id: unknown;
  version?: number;
}

/** Records of another entity written in the same announcement (an incident's actions, filed with it). */
export interface Along {
  repository: Repository<any>;
  docs: Stored[];
}

export class Repository<T extends Stored> {
  constructor(
    readonly entity: string,
    private readonly model: Model<T>,
    private readonly path: WritePath,
  ) {}

  /** Stores a new record (its fields as the service has them; the model casts them) at version 0 and returns it as stored; a duplicate key is thrown as the model throws it. */
  async insert<D extends { _id: unknown }>(doc: D): Promise<T> {
    return (await this.insertWith(doc, []))[0];
  }

  /**
   * Stores a new record and, announced with it as one write, records of other entities (see Along), all
   * or none: when a later part fails, the ones written are removed again, so nothing half-written is
   * left. A duplicate key of the record itself is thrown as the model throws it, with nothing written.
   * Returns the record and each part's records as stored.
   */
  async insertWith<D extends { _id: unknown }>(doc: D, along: Along[]): Promise<[T, ...Stored[][]]> {
    const first = { ...doc, version: 0 } as unknown as T;
    const parts: Along[] = [{ repository: this, docs: [first] }, ...along.map((a) => ({ ...a, docs: a.docs.map((d) => ({ ...d, version: 0 })) }))];
    await this.path.feed.appendAll(changesOf(parts, 0), { ownWrite: true });
    let stored: T;
    const written: Stored[][] = [];
    try {
      stored = (await this.storeNew([first]))[0] as T;
      written.push([stored]);
    } catch (err) {
      // Not written. Another writer's record under this _id is what readers must find; an _id of this
      // attempt's own (refused over another unique key) is announced as removed, so no reader looks for it.
      this.notWriting(parts);
      if (isDuplicateKey(err) && !(await this.model.exists({ _id: first._id }))) await this.path.feed.appendAll(changesOf([parts[0]!], REMOVED));
      throw err;
    }
    for (const part of parts.slice(1)) {
      try {
        written.push(await part.repository.storeNew(part.docs));
      } catch (err) {
        // Taken back: what was written, and of this part the records before the refused one (inserts
        // are ordered), never a record that another writer holds under the refused _id.
        written.push(writtenBefore(err, part.docs));
        const undo = parts.map((p, i) => ({ repository: p.repository, docs: written[i] ?? [] }));
        this.notWriting(parts);
        await this.path.feed.appendAll(changesOf(undo, REMOVED));
        await Promise.all(undo.map((p) => p.repository.deleteAll(p.docs)));
        throw err;
      }
    }
    for (const [i, part] of parts.entries()) for (const d of written[i]!) this.path.mirror.learn(part.repository.entity, d);
    return [stored, ...written.slice(1)];
  }

  /**
   * Replaces `current` with `next` (carrying version current.version + 1) as a versioned edit: the
   * stored record, or undefined when another writer got that version first or the record is gone
   * (see Revisions.replace). `kept`: who made `current` and when, to keep it as a revision too.
   */
  replace(current: T & { version: number }, next: Omit<T, '_id'>, by: string, at: Date, kept?: { by: string; at: Date }): Promise<T | undefined> {
    return this.path.revisions.replace(this.model as Model<any>, this.entity, current, next as never, by, at, kept) as Promise<T | undefined>;
  }

  /** Removes records (and records of other entities with them), announced first as one write: a reader that still finds one keeps looking until it is gone. */
  async remove(docs: Stored[], along: Along[] = []): Promise<void> {
    const parts = [{ repository: this, docs }, ...along];
    await this.path.feed.appendAll(changesOf(parts, REMOVED));
    await Promise.all(parts.map((p) => p.repository.deleteAll(p.docs)));
  }

  /** This process will not write these announced records after all: its read model looks for them from now on. */
  private notWriting(parts: Along[]): void {
    for (const p of parts) for (const d of p.docs) this.path.mirror.notWriting(p.repository.entity, String(d._id));
  }

  private async storeNew(docs: Stored[]): Promise<Stored[]> {
    return docs.length ? insertPlain(this.model as Model<any>, ...docs) : [];
  }

  private async deleteAll(docs: Stored[]): Promise<void> {
    await Promise.all(docs.map((d) => this.model.deleteOne({ _id: d._id })));
    for (const d of docs) this.path.mirror.forget(this.entity, String(d._id));
  }
}

/** The records of an ordered insert that failed with `err` which were written: before the refused one (all, not knowing, for any other error). */
function writtenBefore(err: unknown, docs: Stored[]): Stored[] {
  if (!isDuplicateKey(err)) return docs;
  const found = (err as { writeErrors?: { index: number }[] | { index: number } }).writeErrors;
  const first = Array.isArray(found) ? found[0] : found;
  return docs.slice(0, first?.index ?? 0);
}

function changesOf(parts: Along[], version: number): FeedChange[] {
  return parts.flatMap((p) => p.docs.map((d) => ({ entity: p.repository.entity, id: String(d._id), v: version })));
}
