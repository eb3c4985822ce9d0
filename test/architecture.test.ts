import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';

/**
 * The layering rules of docs/architecture.md, as .dependency-cruiser.cjs states them, over src/ and
 * scripts/: no import circle, no service importing src/http/errors.ts, no feature importing the
 * composition root, src/lib/ importing no feature. Run through depcruise's CLI with its JSON output
 * (dependency-cruiser docs, "cli": --output-type json, summary.violations).
 */
interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

const CONFIG = path.resolve('.dependency-cruiser.cjs');
const DEPCRUISE = path.resolve('node_modules/.bin/depcruise');

/** depcruise's violations over `dirs` of the tree at `cwd` (the rules' paths are relative to it). */
async function violations(dirs = ['src', 'scripts'], cwd = process.cwd()): Promise<Violation[]> {
  const run = promisify(execFile);
  // depcruise exits non-zero when it finds errors; its JSON is on stdout either way.
  const { stdout } = await run(DEPCRUISE, [...dirs, '--config', CONFIG, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    (err: { stdout?: string }) => {
      if (!err.stdout) throw err;
      return { stdout: err.stdout };
    },
  );
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const said = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.cycle?.length ? v.cycle.map((c) => c.name).join(' → ') : v.to}`;

describe('architecture: imports run one way', function () {
  this.timeout(120_000);
  let found: Violation[];
  before(async () => {
    found = await violations();
  });

  it('has no import circle, no service reaching src/http/errors.ts, no feature importing src/services.ts, src/lib/ importing no feature', () => {
    expect(found.map(said)).to.deep.equal([]);
  });

  it('catches each kind of wrong import, in a feature folder the rules do not name', async () => {
    // A small tree with one of each: a new feature taking the composition root and throwing HTTP errors, lib importing it, a circle.
    const root = await mkdtemp(path.join(tmpdir(), 'debrief-layers-'));
    const files: Record<string, string> = {
      'tsconfig.json': '{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext" } }',
      'src/services.ts': 'export const root = 1;\n',
      'src/http/errors.ts': 'export class HttpError {}\n',
      'src/lib/helper.ts': "import { used } from '../wiki/service.js';\nexport const helper = used;\n",
      'src/wiki/service.ts': "import { root } from '../services.js';\nimport { HttpError } from '../http/errors.js';\nimport { back } from './other.js';\nexport const used = [root, HttpError, back];\n",
      'src/wiki/other.ts': "import { used } from './service.js';\nexport const back = () => used;\n",
    };
    try {
      for (const [name, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(root, name)), { recursive: true });
        await writeFile(path.join(root, name), text);
      }
      // A circle is named from whichever of its files depcruise reached first: its folder is what is asserted.
      const rules = new Set((await violations(['src'], root)).map((v) => `${v.rule.name}: ${v.cycle ? `${path.posix.dirname(v.from)}/` : v.from}`));
      expect([...rules].sort()).to.include.members([
        'features-take-their-services: src/wiki/service.ts',
        'http-errors-stay-in-http: src/wiki/service.ts',
        'lib-imports-no-feature: src/lib/helper.ts',
        'no-circular: src/wiki/',
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

/**
 * Files over 400 lines hold more than one idea, or one the reader cannot take in at once. One still over
 * says why on its first line, where its reader sees it; a file back within the limit drops the line.
 */
const MAX_LINES = 400;
const REASON = `// Over ${MAX_LINES} lines on purpose: `;

describe('architecture: files a reader can take in', () => {
  it(`keeps every source file within ${MAX_LINES} lines, or says why at its top`, async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const files = (await readdir('src', { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => `src/${f}`);
    const unexplained: string[] = [];
    const stale: string[] = [];
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      const long = text.split('\n').length - 1 > MAX_LINES;
      const says = text.startsWith(REASON) && text.slice(REASON.length, text.indexOf('\n')).trim().length >= 20;
      if (long && !says) unexplained.push(f);
      if (!long && text.startsWith(REASON)) stale.push(f);
    }
    expect(unexplained, 'files over the limit without a reason on their first line').to.deep.equal([]);
    expect(stale, 'files within the limit still saying they are over').to.deep.equal([]);
  });
});
