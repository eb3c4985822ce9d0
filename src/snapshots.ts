import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { alive } from './lib/embedded-store.js';
import { ReadModelSnapshot } from './lib/mirror-snapshot.js';
import { MIGRATIONS } from './migrations.js';
import type { Services } from './services.js';

export interface SavedReadModelKeeper {
  /** Saves once more (after the last writes of this process) and stops saving. */
  stop(): Promise<void>;
}

/**
 * Keeps this process's read model saved in DATA_DIR/read-model.<role>.v8: the first load starts from
 * it, and it is saved every READ_MODEL_SNAPSHOT_MINUTES (when the feed moved) and at stop. Processes
 * of one role on one DATA_DIR share the file; each writes it whole and renames it, so any is a valid start.
 */
export function keepReadModelSaved(services: Services, role: 'server' | 'worker'): SavedReadModelKeeper {
  const { config, logger, mirror } = services;
  const minutes = config.READ_MODEL_SNAPSHOT_MINUTES;
  if (existsSync(config.DATA_DIR)) removeEarlierFormat(config.DATA_DIR, role, logger);
  if (!minutes) return { stop: async () => undefined };
  mkdirSync(config.DATA_DIR, { recursive: true });
  const name = `read-model.${role}.v8`;
  removeAbandoned(config.DATA_DIR, name);
  const snapshot = readModelSnapshot(services, path.join(config.DATA_DIR, name));
  mirror.startFrom(() => snapshot.load());

  let lastSeen = -1;
  let saving: Promise<void> | undefined;
  const save = () =>
    (saving ??= (async () => {
      const started = performance.now();
      try {
        const saved = await snapshot.save(lastSeen);
        if (saved) {
          lastSeen = saved.seen;
          logger.info({ ...saved, ms: Math.round(performance.now() - started) }, 'read model saved');
        }
      } catch (err) {
        logger.warn({ err }, 'read model not saved; the next start loads every record unless a later save succeeds');
      } finally {
        saving = undefined;
      }
    })());
  const timer = setInterval(() => void save(), minutes * 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await saving;
      await save();
    },
  };
}

/** The read model of these services saved in `file`, for the records as this version's migrations leave them. */
export function readModelSnapshot(services: Pick<Services, 'mirror' | 'feed' | 'logger' | 'clock'>, file: string): ReadModelSnapshot {
  const { mirror, feed, logger, clock } = services;
  return new ReadModelSnapshot({ file, shape: MIGRATIONS.map((m) => m.name).join(' '), mirror, feed, logger, clock });
}

/**
 * The file earlier versions saved (BSON, under another name), and what they left written aside: no
 * version reads it now, and it holds what the database holds. Not removable is said, not fatal.
 */
function removeEarlierFormat(dir: string, role: string, logger: Services['logger']): void {
  const name = `read-model.${role}.bson`;
  try {
    rmSync(path.join(dir, name), { force: true });
    removeAbandoned(dir, name);
  } catch (err) {
    logger.warn({ err, file: path.join(dir, name) }, 'the read model file of an earlier version could not be removed');
  }
}

/** Files written aside by processes that stopped before renaming them (their name ends .<pid>.tmp). */
function removeAbandoned(dir: string, name: string): void {
  for (const file of readdirSync(dir)) {
    const [, of, pid] = /^(.+)\.(\d+)\.tmp$/.exec(file) ?? [];
    if (of === name && Number(pid) !== process.pid && !alive(Number(pid))) rmSync(path.join(dir, file), { force: true });
  }
}
