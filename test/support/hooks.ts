import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedStore, type EmbeddedStore } from '../../src/lib/embedded-store.js';

let store: EmbeddedStore | undefined;
let dataDir: string | undefined;

/** The server every test file uses: MONGODB_URI when set, otherwise one embedded FerretDB per run. */
export function serverUri(): string {
  const uri = process.env.MONGODB_URI ?? store?.uri;
  if (!uri) throw new Error('test store not started');
  return uri;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    if (process.env.MONGODB_URI || store) return;
    dataDir = mkdtempSync(path.join(tmpdir(), 'debrief-test-'));
    store = await startEmbeddedStore({ dataDir });
  },
  async afterAll() {
    await store?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  },
};
