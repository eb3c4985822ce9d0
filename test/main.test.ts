import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Runs the real entry point (src/main.ts) as `npm start` does, with its own embedded store. */
/**
 * The server's log, read as it comes: always drained (an unread pipe would fill and block the server's
 * logging, and with it the server), and handed out in order by next().
 */
class LogReader {
  private readonly lines: string[] = [];
  private read = 0;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(stream: NodeJS.ReadableStream) {
    const input = createInterface({ input: stream });
    input.on('line', (line) => {
      this.lines.push(line);
      this.wake?.();
    });
    input.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  /** The next line, or undefined once the server closed its output. */
  async next(): Promise<string | undefined> {
    while (this.read >= this.lines.length && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.lines[this.read++];
  }
}

function startMain(env: Record<string, string>, started: ChildProcess[]): { child: ChildProcess; lines: LogReader } {
  const { MONGODB_URI: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...inherited, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(child);
  return { child, lines: new LogReader(child.stdout!) };
}

/**
 * Reads the log until the server listens; returns its port and the first-admin sign-in link if one was
 * printed: a plain line of its own (the whole line is the address), not inside a log record.
 */
async function waitForPort(lines: LogReader): Promise<{ port: number; signIn?: string }> {
  let signIn: string | undefined;
  const entry = await nextLog(lines, (msg) => msg.startsWith('Debrief listening'), (plain) => {
    signIn ??= /^https?:\/\/[^/\s]+(\/login\/link\?token=[\w-]+)$/.exec(plain)?.[1];
  });
  return { port: entry.port!, signIn };
}

/**
 * Reads the log up to the first JSON record whose message passes `wanted`, leaving the rest to read later;
 * lines that are not log records go to `plain`.
 */
async function nextLog(lines: LogReader, wanted: (msg: string) => boolean, plain: (line: string) => void = () => undefined): Promise<{ msg: string; port?: number }> {
  for (let line = await lines.next(); line !== undefined; line = await lines.next()) {
    if (!line.startsWith('{')) {
      plain(line);
      continue;
    }
    const entry = JSON.parse(line) as { msg: string; port?: number };
    if (wanted(entry.msg)) return entry;
  }
  throw new Error('the server stopped before logging what the test waits for');
}

/** Follows the one-time link like a browser (its page, then its button) and returns the session cookie it sets. */
async function signIn(port: number, link: string): Promise<string> {
  const page = await fetch(`http://127.0.0.1:${port}${link}`, { redirect: 'manual' });
  expect(page.status).to.equal(200);
  const html = await page.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const token = /name="token" value="([^"]+)"/.exec(html)![1]!;
  const res = await fetch(`http://127.0.0.1:${port}/login/link`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') },
    body: new URLSearchParams({ _csrf: csrf, token }).toString(),
  });
  expect(res.status).to.equal(303);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

/** The embedded store's pid as the server recorded it in DATA_DIR (undefined when there is no record). */
function storePid(dataDir: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dataDir, 'store.json'), 'utf8')) as { storePid?: number }).storePid;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Calls `probe` every 100 ms until it is true; returns the milliseconds it took, or throws after `withinMs`. */
async function within(withinMs: number, what: string, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('the service process', function () {
  this.timeout(60_000);
  let dataDir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'debrief-main-'));
  });
  afterEach(async () => {
    // A failed test must not leave a server (and its store, which runs in its own process group) running.
    const store = storePid(dataDir);
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) {
      const exit = exited(child);
      child.kill('SIGKILL');
      await exit;
    }
    if (store && alive(store)) process.kill(store, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts its embedded store with the demo incidents and a first admin, then stops cleanly on SIGTERM', async () => {
    const { child, lines } = startMain({ DATA_DIR: dataDir }, children);
    const { port, signIn: link } = await waitForPort(lines);
    expect(link, 'one-time sign-in link in the log').to.be.a('string');
    const cookie = await signIn(port, link!);
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/incidents`)).status).to.equal(401);
    const list = await (await fetch(`http://127.0.0.1:${port}/api/v1/incidents`, { headers: { cookie } })).json();
    expect((await fetch(`http://127.0.0.1:${port}${link}`, { redirect: 'manual' })).status, 'the link works once').to.equal(410);
    expect(list.total).to.equal(2);
    expect(list.items.map((i: { key: string }) => i.key).sort()).to.deep.equal(['INC-2023-0001', 'INC-2023-0002']);

    const started = Date.now();
    const exit = exited(child);
    child.kill('SIGTERM');
    expect(await exit).to.equal(0);
    expect(Date.now() - started).to.be.below(10_000);
  });

  it('keeps its data across restarts and does not seed or create an admin twice, starting again from the read model it saved', async () => {
    let cookie = '';
    // What an earlier version saved, in BSON under another name: removed, not left to fill the disk.
    const legacy = path.join(dataDir, 'read-model.server.bson');
    writeFileSync(legacy, 'saved by an earlier version');
    for (let run = 0; run < 2; run++) {
      const { child, lines } = startMain({ DATA_DIR: dataDir, SESSION_SECRET: 'x'.repeat(32) }, children);
      const { port, signIn: link } = await waitForPort(lines);
      expect(Boolean(link), `run ${run} logs a sign-in link`).to.equal(run === 0);
      if (link) cookie = await signIn(port, link);
      const list = await (await fetch(`http://127.0.0.1:${port}/api/v1/incidents`, { headers: { cookie } })).json();
      expect(list.total, `run ${run}`).to.equal(2);
      if (run === 1) expect((await nextLog(lines, (msg) => msg.startsWith('read model'))).msg).to.match(/^read model read from its snapshot/);
      const exit = exited(child);
      child.kill('SIGINT');
      expect(await exit).to.equal(0);
      expect(existsSync(path.join(dataDir, 'read-model.server.v8')), `run ${run} saved its read model`).to.equal(true);
      expect(existsSync(legacy), `run ${run} removed the earlier version's file`).to.equal(false);
    }
  });

  it('lets an operator add a person beside the running service, printing a token that works', async () => {
    const { child, lines } = startMain({ DATA_DIR: dataDir }, children);
    const { port } = await waitForPort(lines);
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const { MONGODB_URI: _ignored, ...env } = process.env;
        const cli = spawn(process.execPath, ['--import', 'tsx', 'scripts/user.ts', ...args], { env: { ...env, DATA_DIR: dataDir } });
        let stdout = '';
        let stderr = '';
        cli.stdout.on('data', (d) => (stdout += d));
        cli.stderr.on('data', (d) => (stderr += d));
        cli.once('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const added = await run(['add', '--email', 'Wang@Example.com', '--name', 'Wang Wei', '--role', 'editor']);
    expect(added.code, added.stderr).to.equal(0);
    const token = added.stdout.trim().split('\n').pop()!;
    const me = await fetch(`http://127.0.0.1:${port}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).to.include({ email: 'wang@example.com', role: 'editor' });
    const second = await run(['token', '--email', 'wang@example.com']);
    expect(second.stdout.trim()).to.match(/^dbr_\S+$/);
    const unknown = await run(['token', '--email', 'nobody@example.com']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr.trim().split('\n'), 'one line, no stack trace').to.deep.equal(['Person nobody@example.com not found']);
    const bad = await run(['add', '--email', 'x@example.com', '--name', 'X', '--role', 'boss']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/--role: /);
    const exit = exited(child);
    child.kill('SIGTERM');
    expect(await exit).to.equal(0);
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

  it('logs readable lines with LOG_FORMAT=pretty, the sign-in link alone on its line, and the link out of every record', async () => {
    const { child, lines } = startMain({ DATA_DIR: dataDir, LOG_FORMAT: 'pretty' }, children);
    const seen: string[] = [];
    let port: number | undefined;
    for (let line = await lines.next(); line !== undefined && port === undefined; line = await lines.next()) {
      seen.push(line);
      port = Number(/Debrief listening on http:\/\/[\d.]+:(\d+)/.exec(line)?.[1]) || undefined;
    }
    expect(port, `the listening line among ${JSON.stringify(seen)}`).to.be.a('number');
    expect(seen.filter((l) => l.startsWith('{')), 'no JSON records').to.deep.equal([]);
    expect(seen.some((l) => /^\[[\d:.]+\] WARN: No people yet: created admin admin@localhost/.test(l)), 'a readable warning with its level').to.equal(true);
    const links = seen.filter((l) => l.includes('/login/link?token='));
    expect(links, 'the link once, as a whole line').to.have.length(1);
    const link = /^http:\/\/localhost:\d+(\/login\/link\?token=[\w-]+)$/.exec(links[0]!)?.[1];
    expect(link, links[0]).to.be.a('string');
    expect((await fetch(`http://127.0.0.1:${port}${link}`)).status, 'the printed link opens its sign-in page').to.equal(200);
    const exit = exited(child);
    child.kill('SIGTERM');
    expect(await exit).to.equal(0);
  });

  it('writes JSON records when its output is not a terminal, with the sign-in link on a plain line outside them', async () => {
    const { child, lines } = startMain({ DATA_DIR: dataDir }, children);
    const records: string[] = [];
    const plain: string[] = [];
    for (let line = await lines.next(); line !== undefined; line = await lines.next()) {
      (line.startsWith('{') ? records : plain).push(line);
      if (line.includes('Debrief listening')) break;
    }
    expect(records.map((r) => (JSON.parse(r) as { service: string }).service)).to.include('debrief');
    expect(records.filter((r) => r.includes('token=')), 'no record holds the secret').to.deep.equal([]);
    expect(plain).to.have.length(1);
    expect(plain[0]).to.match(/^http:\/\/localhost:\d+\/login\/link\?token=[\w-]+$/);
    const exit = exited(child);
    child.kill('SIGTERM');
    expect(await exit).to.equal(0);
  });

  it('notices its embedded store was killed: 503 with Retry-After within 2 s, a friendly page, and recovery by itself within 15 s', async () => {
    const { child, lines } = startMain({ DATA_DIR: dataDir }, children);
    const { port, signIn: link } = await waitForPort(lines);
    const cookie = await signIn(port, link!);
    const base = `http://127.0.0.1:${port}`;
    const first = storePid(dataDir)!;
    expect(alive(first)).to.equal(true);

    // A client busy across the kill: what it gets is 200 or 503, never a 500.
    let busy = true;
    const statuses = new Set<number>();
    const client = (async () => {
      while (busy) statuses.add((await fetch(`${base}/api/v1/incidents`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) })).status);
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const killed = Date.now();
    process.kill(first, 'SIGKILL');
    // The server says when it noticed; from then on it answers 503 until the store is back.
    await nextLog(lines, (msg) => msg.startsWith('embedded store stopped unexpectedly'));
    const noticed = Date.now() - killed;
    expect(noticed, 'noticed within 2 s').to.be.below(2_000);
    const unavailable = await fetch(`${base}/api/v1/incidents`, { headers: { cookie } });
    expect(unavailable.status, await unavailable.clone().text()).to.equal(503);
    expect(unavailable.headers.get('retry-after')).to.equal('5');
    expect((await unavailable.json()).error.code).to.equal('unavailable');
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).to.equal(503);
    expect((await ready.json()).checks.database).to.equal('unreachable');
    const page = await fetch(`${base}/`, { headers: { cookie, accept: 'text/html' } });
    expect(page.status).to.equal(503);
    expect(await page.text()).to.match(/reload this page in a few seconds|请几秒钟后刷新本页/);
    expect(Date.now() - killed, 'all of that within 2 s of the kill').to.be.below(2_000);

    await within(15_000, 'recovery', async () => (await fetch(`${base}/api/v1/incidents`, { headers: { cookie } })).status === 200);
    const recovered = Date.now() - killed;
    busy = false;
    await client;
    expect([...statuses].filter((s) => s !== 200 && s !== 503), 'what the busy client got besides 200 and 503').to.deep.equal([]);
    expect(recovered, 'back within 15 s of the kill').to.be.below(15_000);
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
    const list = await (await fetch(`${base}/api/v1/incidents`, { headers: { cookie } })).json();
    expect(list.total, 'the data is still there').to.equal(2);
    const second = storePid(dataDir)!;
    expect(second).to.not.equal(first);
    console.log(`      noticed ${noticed} ms after the kill, answering again ${recovered} ms after it`);

    const exit = exited(child);
    child.kill('SIGTERM');
    expect(await exit).to.equal(0);
    expect(alive(second), 'the restarted store is stopped too').to.equal(false);
  });

  it('stops within 15 s on SIGTERM while a keep-alive client keeps it busy, leaving no store process', async () => {
    const { child, lines } = startMain({ DATA_DIR: dataDir }, children);
    const { port, signIn: link } = await waitForPort(lines);
    const cookie = await signIn(port, link!);
    const store = storePid(dataDir)!;
    let busy = true;
    const statuses: number[] = [];
    // fetch keeps its connection alive between requests; two clients ask without pause.
    const client = async () => {
      while (busy) {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/incidents`, { headers: { cookie } }).catch(() => undefined);
        if (!res) break;
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    };
    const clients = [client(), client()];
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    const exit = exited(child);
    child.kill('SIGTERM');
    expect(await exit).to.equal(0);
    const took = Date.now() - started;
    busy = false;
    await Promise.all(clients);
    expect(took).to.be.below(15_000);
    expect(statuses.length).to.be.above(0);
    expect(statuses.filter((s) => s >= 500), 'no request failed while stopping').to.deep.equal([]);
    expect(alive(store), 'the store stopped with the server').to.equal(false);
    expect(storePid(dataDir), 'its record is removed').to.equal(undefined);
    console.log(`      stopped in ${took} ms after ${statuses.length} requests`);
  });

  it('stops the store a killed server left running before starting again, and refuses a second server, so one store serves the files', async () => {
    const run1 = startMain({ DATA_DIR: dataDir }, children);
    await waitForPort(run1.lines);
    const orphan = storePid(dataDir)!;
    const gone = exited(run1.child);
    run1.child.kill('SIGKILL');
    await gone;
    expect(alive(orphan), 'a killed server leaves its store behind').to.equal(true);

    const run2 = startMain({ DATA_DIR: dataDir }, children);
    const warnings: string[] = [];
    const { port } = await nextLog(run2.lines, (msg) => {
      warnings.push(msg);
      return msg.startsWith('Debrief listening');
    });
    expect(warnings).to.include('stopped the embedded store a killed server left running on these files');
    expect(alive(orphan)).to.equal(false);
    // Ready once the read model has loaded, which starts as the server listens.
    await within(10_000, 'ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200);

    // A second server on the same files is refused, saying why; the first one is untouched.
    const second = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, MONGODB_URI: '', PORT: '0', DATA_DIR: dataDir }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(second);
    let stderr = '';
    second.stderr!.on('data', (d) => (stderr += d));
    expect(await exited(second)).to.equal(1);
    expect(stderr.trim()).to.match(/^Another Debrief process \(pid \d+\) runs the embedded store in .*; stop it, or give this one another DATA_DIR$/);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
    const exit = exited(run2.child);
    run2.child.kill('SIGTERM');
    expect(await exit).to.equal(0);
  });
});
