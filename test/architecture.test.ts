import { execFile } from 'node:child_process';
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

/**
 * Pages that still take the whole Services type (they hand it on to renderPage); each one moved to
 * the services it uses comes off this list, and the test fails on a stale entry so the list only shrinks.
 */
const PAGES_STILL_TAKING_SERVICES = [
  'src/actions/pages.ts',
  'src/demo/seed.ts',
  'src/http/pages.ts',
  'src/imports/pages.ts',
  'src/incidents/pages.ts',
  'src/mail/pages.ts',
  'src/reports/pages.ts',
  'src/reports/routes.ts',
  'src/reviews/pages.ts',
  'src/users/home.ts',
  'src/users/oidc-pages.ts',
  'src/users/pages.ts',
  'src/users/people-pages.ts',
  'src/users/sign-in-mail.ts',
];

const known = (v: Violation) => v.rule.name === 'features-take-their-services' && PAGES_STILL_TAKING_SERVICES.includes(v.from);

async function violations(): Promise<Violation[]> {
  const run = promisify(execFile);
  // depcruise exits non-zero when it finds errors; its JSON is on stdout either way.
  const { stdout } = await run('npx', ['depcruise', 'src', 'scripts', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { maxBuffer: 64 * 1024 * 1024 }).catch(
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
    expect(found.filter((v) => !known(v)).map(said)).to.deep.equal([]);
  });

  it('lists only pages that still take the whole Services type (a fixed one comes off the list)', () => {
    const still = new Set(found.filter(known).map((v) => v.from));
    expect(PAGES_STILL_TAKING_SERVICES.filter((f) => !still.has(f))).to.deep.equal([]);
  });
});

/**
 * Files over 400 lines hold more than one idea, or one the reader cannot take in at once. Each one
 * still over says why; the test fails on a new one and on a stale entry, so the list only shrinks.
 */
const LONG_FILES: Record<string, string> = {
  'src/documents/renderer.ts': 'the one Handlebars environment with its helpers and the page and document rendering around it',
  'src/mail/outbox.ts': 'enqueue, claim, send and retry of one collection, whose claim rules are read best together',
  'src/lib/mirror.ts': 'the read model: load, catch-up from the change feed, indexes and derived values over one store',
};
const MAX_LINES = 400;

describe('architecture: files a reader can take in', () => {
  it(`keeps every source file within ${MAX_LINES} lines, or says why not`, async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const files = (await readdir('src', { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => `src/${f}`);
    const long: string[] = [];
    for (const f of files) if ((await readFile(f, 'utf8')).split('\n').length - 1 > MAX_LINES) long.push(f);
    expect(long.filter((f) => !(f in LONG_FILES)), 'new files over the limit').to.deep.equal([]);
    expect(Object.keys(LONG_FILES).filter((f) => !long.includes(f)), 'listed files now within the limit').to.deep.equal([]);
  });
});
