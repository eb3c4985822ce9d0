import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * scripts/setup.sh in a copy of the project's install files, with `npm` replaced by a recorder (the real
 * one would download): which runs would reinstall the modules?
 */
describe('scripts/setup.sh', function () {
  this.timeout(30_000);
  let dir: string;
  const calls = () => readFileSync(path.join(dir, 'npm-calls'), 'utf8').trim().split('\n').filter(Boolean);
  const setup = () => {
    const res = spawnSync('bash', ['scripts/setup.sh'], { cwd: dir, env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, MONGODB_URI: 'mongodb://unused' }, encoding: 'utf8' });
    expect(res.status, res.stderr).to.equal(0);
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'debrief-setup-'));
    mkdirSync(path.join(dir, 'scripts'));
    mkdirSync(path.join(dir, 'bin'));
    copyFileSync('scripts/setup.sh', path.join(dir, 'scripts/setup.sh'));
    copyFileSync('package-lock.json', path.join(dir, 'package-lock.json'));
    writeFileSync(path.join(dir, 'npm-calls'), '');
    // `npm ci` "installs" (creates node_modules); `npm ls` says whether modules are complete (here: when ok exists).
    writeFileSync(
      path.join(dir, 'bin/npm'),
      '#!/usr/bin/env bash\necho "$*" >> npm-calls\ncase "$1" in ci) mkdir -p node_modules; touch ok;; ls) [ -f ok ];; esac\n',
    );
    chmodSync(path.join(dir, 'bin/npm'), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('installs once, then not again when only the lockfile\'s time changed (a fresh clone), but again when its content did', () => {
    setup();
    expect(calls()).to.deep.equal(['ci --no-audit --no-fund']);
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(path.join(dir, 'package-lock.json'), future, future);
    setup();
    expect(calls(), 'same content, newer time').to.have.length(1);
    writeFileSync(path.join(dir, 'package-lock.json'), readFileSync(path.join(dir, 'package-lock.json'), 'utf8').replace('"lockfileVersion"', '"name2": "x", "lockfileVersion"'));
    setup();
    expect(calls().filter((c) => c.startsWith('ci'))).to.have.length(2);
  });

  it('keeps modules installed without a record when npm ls finds them complete', () => {
    mkdirSync(path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'ok'), '');
    setup();
    setup();
    expect(calls()).to.deep.equal(['ls --all --silent']);
  });
});
