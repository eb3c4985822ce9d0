import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Runs the real entry point (src/main.ts) as `npm start` does, with its own embedded store. */
function startMain(env: Record<string, string>): { child: ChildProcess; lines: AsyncIterableIterator<string> } {
  const { MONGODB_URI: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...inherited, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function waitForPort(lines: AsyncIterableIterator<string>): Promise<number> {
  for await (const line of { [Symbol.asyncIterator]: () => lines }) {
    const entry = JSON.parse(line) as { msg: string; port?: number };
    if (entry.msg.startsWith('Debrief listening')) return entry.port!;
  }
  throw new Error('server never said it was listening');
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('the service process', function () {
  this.timeout(60_000);
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'debrief-main-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts its embedded store with the demo incidents, then stops cleanly on SIGTERM', async () => {
    const { child, lines } = startMain({ DATA_DIR: dataDir });
    const port = await waitForPort(lines);
    const list = await (await fetch(`http://127.0.0.1:${port}/api/v1/incidents`)).json();
    expect(list.total).to.equal(2);
    expect(list.items.map((i: { key: string }) => i.key).sort()).to.deep.equal(['INC-2023-0001', 'INC-2023-0002']);

    const started = Date.now();
    const exit = exited(child);
    child.kill('SIGTERM');
    expect(await exit).to.equal(0);
    expect(Date.now() - started).to.be.below(10_000);
  });

  it('keeps its data across restarts and does not seed twice', async () => {
    for (let run = 0; run < 2; run++) {
      const { child, lines } = startMain({ DATA_DIR: dataDir });
      const port = await waitForPort(lines);
      const list = await (await fetch(`http://127.0.0.1:${port}/api/v1/incidents`)).json();
      expect(list.total, `run ${run}`).to.equal(2);
      const exit = exited(child);
      child.kill('SIGINT');
      expect(await exit).to.equal(0);
    }
  });

  it('refuses to start with a bad setting, naming it on one line', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    expect(await exited(child)).to.equal(2);
    expect(stderr.trim().split('\n')).to.have.length(1);
    expect(stderr).to.match(/^Invalid configuration: PORT="eighty"/);
  });
});
