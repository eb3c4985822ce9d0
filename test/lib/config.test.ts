import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CONFIG_VARIABLES, ConfigError, envSchema, loadConfig } from '../../src/lib/config.js';
import { email } from '../../src/incidents/schemas.js';
import { createUserBody } from '../../src/users/schemas.js';

describe('config', () => {
  it('has defaults for a local install', () => {
    const c = loadConfig({});
    expect(c).to.include({ PORT: 3000, DEFAULT_TIMEZONE: 'Asia/Shanghai', DATA_DIR: './data', BASE_URL: 'http://localhost:3000', SEED_DEMO: true });
    expect(c.SEVERITY_LEVELS).to.deep.equal(['A', 'B', 'C', 'D', 'E']);
    expect(c.MONGODB_URI).to.equal(undefined);
  });

  it('reads and converts values', () => {
    const c = loadConfig({ PORT: '8080', SEED_DEMO: 'false', SEVERITY_LEVELS: 'SEV1, SEV2,SEV3', BASE_URL: 'https://debrief.example.com/' });
    expect(c).to.include({ PORT: 8080, SEED_DEMO: false, BASE_URL: 'https://debrief.example.com' });
    expect(c.SEVERITY_LEVELS).to.deep.equal(['SEV1', 'SEV2', 'SEV3']);
  });

  it('names the bad variable in one line', () => {
    const bad = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted a bad value');
    };
    expect(bad({ PORT: 'eighty' })).to.match(/^Invalid configuration: PORT="eighty": /);
    expect(bad({ DEFAULT_TIMEZONE: 'Asia/Beijing' })).to.match(/DEFAULT_TIMEZONE="Asia\/Beijing": not an IANA time zone/);
    expect(bad({ MONGODB_URI: 'postgres://x' })).to.match(/MONGODB_URI/);
    expect(bad({ LOG_LEVEL: 'loud' })).to.match(/LOG_LEVEL/);
    expect(bad({ DEFAULT_LOCALE: 'fr' })).to.match(/DEFAULT_LOCALE/);
    expect(bad({ IMPORT_LEVELS: 'CD' })).to.match(/^Invalid configuration: IMPORT_LEVELS="CD": a list like CD=C/);
    expect(bad({ IMPORT_LEVELS: 'P1=SEV1' })).to.match(/IMPORT_LEVELS="P1=SEV1": P1=SEV1 names no level of SEVERITY_LEVELS \(A,B,C,D,E\)/);
  });

  it('reads IMPORT_LEVELS as written level → severity, upper-casing the level', () => {
    expect(loadConfig({}).IMPORT_LEVELS).to.deep.equal({});
    expect(loadConfig({ IMPORT_LEVELS: 'cd=D, P1=B,一=A,stability=E' }).IMPORT_LEVELS).to.deep.equal({ CD: 'D', P1: 'B', 一: 'A', stability: 'E' });
  });

  it('is documented: .env.example lists every variable the service reads', () => {
    const listed = readFileSync('.env.example', 'utf8').match(/^[A-Z_]+(?==)/gm) ?? [];
    expect(listed).to.have.members(CONFIG_VARIABLES);
  });

  it('has only defaults that pass their own rule (zod does not check a default), and the first admin passes the app\'s email rule', () => {
    for (const [name, schema] of Object.entries(envSchema.shape)) {
      if (!(schema instanceof z.ZodDefault)) continue;
      const fallback = (schema.def as { defaultValue: unknown }).defaultValue;
      const inner = schema.unwrap() as z.ZodType;
      expect(inner.safeParse(typeof fallback === 'string' ? fallback : String(fallback)).success, `${name}=${String(fallback)}`).to.equal(true);
    }
    const { ADMIN_EMAIL } = loadConfig({});
    expect(ADMIN_EMAIL).to.equal('admin@localhost');
    expect(email.safeParse(ADMIN_EMAIL).success, 'incident owner, reviewer and action owner use this rule').to.equal(true);
    expect(createUserBody.safeParse({ email: ADMIN_EMAIL, name: 'A', role: 'admin' }).success).to.equal(true);
    // The defaults people and incidents take theirs from pass those fields' rules too.
    const { DEFAULT_TIMEZONE, DEFAULT_LOCALE } = loadConfig({});
    expect(createUserBody.safeParse({ email: 'x@example.com', name: 'X', role: 'viewer', timezone: DEFAULT_TIMEZONE, locale: DEFAULT_LOCALE }).success).to.equal(true);
    expect(() => loadConfig({ ADMIN_EMAIL: 'not an address' })).to.throw(/ADMIN_EMAIL/);
  });
});
