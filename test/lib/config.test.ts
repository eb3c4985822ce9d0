import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/lib/config.js';

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
  });

  it('is documented: .env.example lists every variable the service reads', () => {
    const listed = readFileSync('.env.example', 'utf8').match(/^[A-Z_]+(?==)/gm) ?? [];
    expect(listed).to.have.members(CONFIG_VARIABLES);
  });
});
