import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface EmbeddedStore {
  /** mongodb:// URI without a database name; append one. */
  uri: string;
  /** The store's process. */
  pid: number;
  stop(): Promise<void>;
}

/** The binary scripts/build-ferretdb.sh produces from scripts/ferretdb/ (named by FerretDB version and the hash of its sources and patches). */
export function defaultFerretdbBinary(): string {
  const src = path.join(projectRoot, 'scripts/ferretdb');
  const patches = readdirSync(src).filter((f) => f.endsWith('.patch')).sort();
  const files = ['main.go', 'go.mod', 'go.sum', ...patches].map((f) => readFileSync(path.join(src, f)));
  const version = /FerretDB\/FerretDB (v\S+)/.exec(files[1]!.toString('utf8'))?.[1];
  const hash = createHash('sha256').update(Buffer.concat(files)).digest('hex').slice(0, 12);
  return path.join(projectRoot, '.cache/ferretdb', `ferretdb-${version}-${hash}`);
}

/**
 * Starts FerretDB on a free loopback port with its SQLite files under `dataDir`, and resolves once
 * it accepts connections (the binary prints its URI then).
 */
export async function startEmbeddedStore(opts: { dataDir: string; binary?: string; timeoutMs?: number }): Promise<EmbeddedStore> {
  const binary = opts.binary ?? defaultFerretdbBinary();
  if (!existsSync(binary)) {
    throw new Error(`Embedded store not built (${binary} is missing): run "npm run db:build" or set MONGODB_URI`);
  }
  const child = spawn(binary, ['-listen', '127.0.0.1:0', '-dir', path.resolve(opts.dataDir, 'ferretdb'), '-log-level', 'error'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const uri = await firstLine(child, opts.timeoutMs ?? 30_000);
  return { uri, pid: child.pid!, stop: () => stopChild(child) };
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
