import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fromPackageRoot } from './paths.js';


export interface EmbeddedStore {
  /** mongodb:// URI without a database name; append one. */
  uri: string;
  /** The FerretDB process's id (kept in DATA_DIR so a later start can find a store a killed server left). */
  pid: number;
  /** Settles when the process ends, whether stop() ended it or not. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** The binary scripts/build-ferretdb.sh produces from scripts/ferretdb/ (named by FerretDB version and the hash of its sources and patches). */
export function defaultFerretdbBinary(): string {
  const src = fromPackageRoot('scripts/ferretdb');
  const patches = readdirSync(src).filter((f) => f.endsWith('.patch')).sort();
  const files = ['main.go', 'go.mod', 'go.sum', ...patches].map((f) => readFileSync(path.join(src, f)));
  const version = /FerretDB\/FerretDB (v\S+)/.exec(files[1]!.toString('utf8'))?.[1];
  const hash = createHash('sha256').update(Buffer.concat(files)).digest('hex').slice(0, 12);
  return fromPackageRoot('.cache/ferretdb', `ferretdb-${version}-${hash}`);
}

/**
 * When SQLite makes a commit durable. normal: the write-ahead log reaches the disk at checkpoints, so an
 * acknowledged write survives the store or the server killed (it is in the operating system's hands)
 * but the writes since the last checkpoint may be lost if the machine itself goes down; full: at every
 * commit, at the cost of a disk flush per commit (filing an incident makes four).
 */
export const STORE_SYNC = ['normal', 'full'] as const;
export type StoreSync = (typeof STORE_SYNC)[number];
export const DEFAULT_STORE_SYNC: StoreSync = 'normal';

/**
 * Starts FerretDB on a free loopback port with its SQLite files under `dataDir`, and resolves once
 * it accepts connections (the binary prints its URI then).
 */
export async function startEmbeddedStore(opts: { dataDir: string; binary?: string; timeoutMs?: number; port?: number; sync?: StoreSync }): Promise<EmbeddedStore> {
  const binary = opts.binary ?? defaultFerretdbBinary();
  if (!existsSync(binary)) {
    throw new Error(`Embedded store not built (${binary} is missing): run "npm run db:build" or set MONGODB_URI`);
  }
  // Its own process group: a terminal's Ctrl-C reaches the server only, which stops the store last.
  const child = spawn(binary, ['-listen', `127.0.0.1:${opts.port ?? 0}`, '-dir', storeDir(opts.dataDir), '-log-level', 'error', '-sqlite-synchronous', opts.sync ?? DEFAULT_STORE_SYNC], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const uri = await firstLine(child, opts.timeoutMs ?? 30_000);
  return { uri, pid: child.pid!, exited, stop: () => stopChild(child) };
}

const storeDir = (dataDir: string) => path.resolve(dataDir, 'ferretdb');

/**
 * Stops a FerretDB that a killed server left running on `dataDir`'s files (only when that pid is one
 * of ours on those files, since pids are reused). Resolves false when no such process runs; throws
 * when it cannot be stopped, so the caller never starts a second store on the same files.
 */
export async function stopStrayStore(pid: number, dataDir: string): Promise<boolean> {
  if (!alive(pid)) return false;
  let cmdline: string[];
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    // No /proc here (not Linux): the process cannot be told apart from another with a reused pid.
    if (existsSync(`/proc/${process.pid}`)) return false;
    throw new Error(`A process with the embedded store's recorded pid ${pid} is running; if it is FerretDB on ${storeDir(dataDir)}, stop it, then start again`);
  }
  const dir = cmdline.indexOf('-dir');
  if (dir < 0 || cmdline[dir + 1] !== storeDir(dataDir)) return false;
  for (const [signal, waitMs] of [['SIGTERM', 5_000], ['SIGKILL', 2_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
      throw new Error(`An embedded store (pid ${pid}) is still running on ${storeDir(dataDir)} and cannot be stopped: ${(err as Error).message}`);
    }
    for (const until = Date.now() + waitMs; Date.now() < until; ) {
      if (!alive(pid)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`An embedded store (pid ${pid}) is still running on ${storeDir(dataDir)}; stop it before starting Debrief`);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Embedded store did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Embedded store exited during start-up (code ${code})`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
