import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

/** Runs a command of the package as an operator does, to its end; returns its output. */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return { code: await exited(child), stdout, stderr };
}

/**
 * `npm start` as a fresh install runs it (scripts/start.sh: build dist/ when sources changed, then the
 * compiled server), and an operator command beside it (scripts/run.sh, compiled too).
 */
describe('npm start (compiled JavaScript)', function () {
  // The first build compiles the whole service (about 20 to 40 s on a busy 2-core machine).
  this.timeout(180_000);
  let dataDir: string;
  let server: ChildProcess | undefined;
  let storePid: number | undefined;
  const { MONGODB_URI: _ignored, ...inherited } = process.env;

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'debrief-start-'));
  });
  after(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exit = exited(server);
      server.kill('SIGKILL');
      await exit;
    }
    try {
      if (storePid) process.kill(storePid, 'SIGKILL');
    } catch {
      // already stopped with its server, as it should be
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('builds dist/, serves /healthz and the pages from it, prints the sign-in link on its own line, and runs the operator commands compiled', async () => {
    const env = { ...inherited, PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir };
    server = spawn('bash', ['scripts/start.sh'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    server.stderr!.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: server.stdout! });
    let port: number | undefined;
    let link: string | undefined;
    for await (const line of lines) {
      if (!line.startsWith('{')) link ??= /^http:\/\/localhost:\d+(\/login\/link\?token=[\w-]+)$/.exec(line)?.[1];
      else port ??= (JSON.parse(line) as { port?: number }).port;
      if (port) break;
    }
    expect(port, `the server listens (stderr: ${stderr})`).to.be.a('number');
    // start.sh ends in exec: the server process itself runs the compiled entry point, not tsx.
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).to.include('dist/src/main.js');
    expect(cmdline.join(' ')).not.to.include('tsx');
    storePid = (JSON.parse(readFileSync(path.join(dataDir, 'store.json'), 'utf8')) as { storePid?: number }).storePid;

    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
    // The sign-in page reads templates/ and locales/ from the package root, as the API reads demo data.
    const signInPage = await fetch(`${base}${link}`, { headers: { 'accept-language': 'zh-CN' } });
    expect(signInPage.status, 'the printed link opens the sign-in page').to.equal(200);
    expect(await signInPage.text()).to.include('登录');
    const assets = await fetch(`${base}/assets/forms.js`);
    expect(assets.status).to.equal(200);

    const token = await run('bash', ['scripts/run.sh', 'user', 'token', '--email', 'admin@localhost'], env);
    expect(token.code, token.stderr).to.equal(0);
    const bearer = token.stdout.trim().split('\n').pop()!;
    const list = await fetch(`${base}/api/v1/incidents`, { headers: { authorization: `Bearer ${bearer}` } });
    expect(list.status).to.equal(200);
    expect(((await list.json()) as { total: number }).total, 'the demo incidents, read from src/demo/data').to.equal(2);

    const again = await run('bash', ['scripts/build.sh'], env);
    expect([again.code, again.stderr], 'unchanged sources are not compiled again').to.deep.equal([0, '']);

    const exit = exited(server);
    server.kill('SIGTERM');
    expect(await exit).to.equal(0);
  });
});
