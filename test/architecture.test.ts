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
