import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

/**
 * Every built-in template in every format, for both seed fixtures, compared with test/golden/.
 * `npm run golden:update` rewrites the files; review the diff before committing it.
 */
const GOLDEN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const DOCUMENTS = [
  { template: 'postmortem', locale: 'en' },
  { template: 'postmortem', locale: 'zh-CN' },
  { template: 'weekly-entry', locale: 'zh-CN' },
];

describe('document golden files', () => {
  let t: TestContext;
  const keys: Record<string, string> = {};
  before(async () => {
    t = await createTestContext('documents_golden');
    // Filed in this order on a fresh database, they are always INC-2023-0001 and INC-2023-0002.
    for (const name of ['tidb-sync', 'decrypt-failure'] as const) {
      keys[name] = (await t.api.post('/api/v1/incidents').send(fixture(name)).expect(201)).body.key;
    }
  });
  after(() => t.close());

  for (const name of ['tidb-sync', 'decrypt-failure'] as const) {
    for (const { template, locale } of DOCUMENTS) {
      for (const format of ['md', 'html'] as const) {
        const file = `${name}.${template}.${locale}.${format}`;
        it(`renders ${file} as committed`, async () => {
          const res = await t.api.get(`/api/v1/incidents/${keys[name]}/document`).query({ template, locale, format }).expect(200);
          expect(res.headers['content-type']).to.contain(format === 'md' ? 'text/markdown' : 'text/html');
          const golden = path.join(GOLDEN_DIR, file);
          if (UPDATE) {
            mkdirSync(GOLDEN_DIR, { recursive: true });
            writeFileSync(golden, res.text);
          }
          expect(res.text).to.equal(readFileSync(golden, 'utf8'));
        });
      }
    }
  }
});
