import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { createIncidentBody } from '../../src/incidents/schemas.js';
import { connectDb } from '../../src/lib/db.js';
import { startEmbeddedStore, type EmbeddedStore } from '../../src/lib/embedded-store.js';
import { createLogger } from '../../src/lib/logger.js';
import { loadConfig } from '../../src/lib/config.js';
import { systemClock } from '../../src/lib/clock.js';
import { buildServices, syncIndexes } from '../../src/services.js';
import { serverUri } from '../support/hooks.js';

/** Starts test/support/writer.ts against `uri`/`db`; resolves once it has acknowledged `enough` filings. */
function startWriter(uri: string, db: string, enough: number) {
  const { MONGODB_URI: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/writer.ts', uri, db], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const acknowledged: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const key = /^filed (\S+)$/.exec(line)?.[1];
      if (key) acknowledged.push(key);
      if (acknowledged.length === enough) resolve();
    });
    child.once('exit', () => reject(new Error(`writer exited after ${acknowledged.length} filings`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, acknowledged, ready, exited };
}

/** Every acknowledged incident is there, whole: its record and its three actions, read by a new process. */
async function expectAllThere(uri: string, db: string, keys: string[]) {
  const conn = await connectDb(uri, db);
  try {
    const services = buildServices({ config: loadConfig({ LOG_LEVEL: 'silent', SEED_DEMO: 'false' }), conn, clock: systemClock, logger: createLogger('silent') });
    await syncIndexes(services);
    expect(new Set(keys).size, 'distinct keys').to.equal(keys.length);
    for (const key of keys) {
      const incident = await services.incidents.get(key);
      expect((incident.actions as { key: string }[]).map((a) => a.key), key).to.deep.equal([1, 2, 3].map((n) => `${key}-A${n}`));
    }
    // Filing goes on after the crash, with a key of its own.
    const next = await services.incidents.create(createIncidentBody.parse({ title: 'after the crash', window: { startedAt: '2023-03-01T10:00' } }), SYSTEM_ACTOR);
    expect(keys).to.not.include(next.key);
  } finally {
    await conn.close();
  }
}

describe('nothing acknowledged is lost when a process is killed during writes', function () {
  this.timeout(120_000);
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('keeps every filing acknowledged before the writing process was killed (SIGKILL)', async () => {
    const db = 'test_durability_writer';
    const conn = await connectDb(serverUri(), db);
    await conn.dropDatabase();
    await conn.close();
    const writer = startWriter(serverUri(), db, 12);
    children.push(writer.child);
    await writer.ready;
    writer.child.kill('SIGKILL');
    await writer.exited;
    await expectAllThere(serverUri(), db, [...writer.acknowledged]);
  });

  it('keeps every filing acknowledged before the store was killed (SIGKILL), once it is started again', async function () {
    if (process.env.MONGODB_URI) this.skip(); // the embedded store is what this kills; an external server is not ours to kill
    const dataDir = mkdtempSync(path.join(tmpdir(), 'debrief-durability-'));
    let store: EmbeddedStore | undefined = await startEmbeddedStore({ dataDir });
    try {
      const writer = startWriter(store.uri, 'debrief', 12);
      children.push(writer.child);
      await writer.ready;
      process.kill(store.pid, 'SIGKILL');
      await writer.exited;
      const keys = [...writer.acknowledged];
      store = await startEmbeddedStore({ dataDir });
      await expectAllThere(store.uri, 'debrief', keys);
    } finally {
      await store?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
