import type { Model } from 'mongoose';
import { insertPlain, isDuplicateKey } from './db.js';
import { setBounded } from './maps.js';

const SEQ_DIGITS = 12;
/** A number's `_id`, zero-padded so that string order is number order. */
export const seqId = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
/** How many entries a reader asks for at once when catching up. */
const READ_BATCH = 16;
const MAX_APPEND_ATTEMPTS = 1000;
/** How many of its own recent entries a process remembers, so that reading them back needs no round trip. */
const OWN_ENTRIES = 1000;

/**
 * Documents numbered 1, 2, 3, … by `_id`, each number claimed by insert, always the first free one (a
 * duplicate key means another writer took it): the taken numbers stay contiguous from the last
 * deleted one, so "what came after n" is read by `_id` alone, the one lookup FerretDB answers from an
 * index. The change feed (src/lib/feed.ts) and the audit log are such sequences.
 */
export class Sequence<T extends { _id: string }> {
  /** The highest number known to be taken (-1: not looked up yet). */
  private known = -1;
  /** This process's appends, one after another: they would only race each other for the same number. */
  private appending: Promise<unknown> = Promise.resolve();
  /** This process's own recent entries by number: a reader catching up takes them from here. */
  private readonly own = new Map<number, T>();

  constructor(
    private readonly deps: {
      model: Model<any>;
      /** The numbers up to this one may have been deleted; 0 when none were. */
      floor: () => Promise<number>;
      /** Brings an entry stored in an earlier shape to this one. */
      upgrade?: (stored: any) => T;
      /** What the name says in errors. */
      name: string;
    },
  ) {}

  /** Stores `make(id)` under the next free number and returns it. */
  append(make: (id: string) => T): Promise<T> {
    const done = this.appending.then(() => this.claim(make));
    this.appending = done.catch(() => undefined);
    return done;
  }

  private async claim(make: (id: string) => T): Promise<T> {
    // Usually the next number after the last one this process saw is free; a duplicate says otherwise.
    let seq = (this.known >= 0 ? this.known : await this.head()) + 1;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      try {
        const entry = make(seqId(seq));
        await insertPlain(this.deps.model, entry);
        this.known = Math.max(this.known, seq);
        setBounded(this.own, seq, entry, OWN_ENTRIES);
        return entry;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        this.known = Math.max(this.known, seq);
        seq = (await this.head()) + 1;
      }
    }
    throw new Error(`${this.deps.name}: could not append under heavy concurrent writing`);
  }

  /** The last entry's number: galloping then bisecting by `_id` from the last one known (or the floor). */
  async head(): Promise<number> {
    let lo = this.known >= 0 ? this.known : await this.deps.floor();
    let step = 1;
    let hi = lo + step;
    while (await this.exists(hi)) {
      lo = hi;
      step *= 2;
      hi = lo + step;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.exists(mid)) lo = mid;
      else hi = mid;
    }
    this.known = Math.max(this.known, lo);
    return lo;
  }

  /**
   * The entries after `seq`, in order, until the first number not taken yet. This process's own
   * entries cost nothing; the others are read one, then in doubling batches, so a reader with
   * nothing new to learn sends one read.
   */
  async after(seq: number): Promise<T[]> {
    const out: T[] = [];
    let next = seq + 1;
    let batch = 1;
    for (;;) {
      const own = this.own.get(next);
      if (own) {
        out.push(own);
        next++;
        continue;
      }
      const read = await Promise.all(Array.from({ length: batch }, (_, i) => this.own.get(next + i) ?? this.read(next + i)));
      const missing = read.indexOf(null);
      out.push(...(read.slice(0, missing < 0 ? batch : missing) as T[]));
      if (missing >= 0) break;
      next += batch;
      batch = Math.min(batch * 2, READ_BATCH);
    }
    if (out.length) this.known = Math.max(this.known, Number(out[out.length - 1]!._id));
    for (const n of this.own.keys()) if (n < next) this.own.delete(n);
    return out;
  }

  // Through the driver: entries are read on nearly every request, and mongoose's query machinery costs more than the read.
  async read(seq: number): Promise<T | null> {
    const entry = await this.deps.model.collection.findOne<T>({ _id: seqId(seq) } as never);
    return entry && this.deps.upgrade ? this.deps.upgrade(entry) : entry;
  }

  private async exists(seq: number): Promise<boolean> {
    return (await this.deps.model.collection.findOne({ _id: seqId(seq) } as never, { projection: { _id: 1 } })) !== null;
  }
}
