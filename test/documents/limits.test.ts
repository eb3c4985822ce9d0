import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listen, type RunningServer } from '../../src/http/server.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

/** An incident with the most timeline entries the API takes (500), each a long line. */
function bigIncident() {
  const timeline = Array.from({ length: 500 }, (_v, i) => ({ at: `2023-02-14T${String(10 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`, text: `step ${i} `.repeat(40) }));
  const base = fixture('decrypt-failure') as Record<string, unknown> & { remediation?: object };
  return { ...base, remediation: { ...(base.remediation ?? {}), timeline } };
}

describe('rendering limits', function () {
  this.timeout(60_000);
  let t: TestContext;
  let server: RunningServer;
  let key: string;
  let templatesDir: string;
  before(async () => {
    templatesDir = mkdtempSync(path.join(tmpdir(), 'debrief-templates-'));
    mkdirSync(path.join(templatesDir, 'documents'));
    writeFileSync(path.join(templatesDir, 'documents', 'everything-twice.md'), '{{#each incident.remediation.timeline}}{{#each ../incident.remediation.timeline}}{{text}}\n{{/each}}{{/each}}');
    t = await createTestContext('render_limits', { TEMPLATES_DIR: templatesDir });
    key = (await t.api.post('/api/v1/incidents').send(bigIncident()).expect(201)).body.key;
    server = await listen(t.app, 0, '127.0.0.1');
  });
  after(async () => {
    await server.close();
    await t.close();
    rmSync(templatesDir, { recursive: true, force: true });
  });

  it('stops a preview with three nested loops over 500 entries at the time limit (422), and /healthz stays answered (it froze the service for minutes)', async () => {
    const token = (await t.services.users.issueToken('admin@example.com', 'limits', { email: 'system@debrief.local' })).token;
    const base = `http://127.0.0.1:${server.port}`;
    const loops = '{{#each incident.remediation.timeline}}{{#each ../incident.remediation.timeline}}{{#each ../../incident.remediation.timeline}}{{/each}}{{/each}}{{/each}}';
    const started = Date.now();
    let previewDone = false;
    const preview = fetch(`${base}/api/v1/templates/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key, body: loops, locale: 'en', format: 'txt' }),
    }).then(async (r) => {
      previewDone = true;
      return { status: r.status, body: await r.json(), ms: Date.now() - started };
    });
    let slowestHealth = 0;
    while (!previewDone) {
      const asked = Date.now();
      await fetch(`${base}/healthz`);
      slowestHealth = Math.max(slowestHealth, Date.now() - asked);
    }
    const res = await preview;
    expect(res.status).to.equal(422);
    expect(res.body.error).to.include({ limit: 'RENDER_TIME_LIMIT_MS', value: 1000 });
    expect(res.body.error.message).to.match(/took longer than 1000 ms \(RENDER_TIME_LIMIT_MS\)/);
    expect(res.ms).to.be.below(3_000);
    expect(slowestHealth, '/healthz waited at most about the limit').to.be.below(2_000);
  });

  it('stops a team template whose output explodes at the output limit, as a 422 on the document route', async () => {
    const started = Date.now();
    const res = await t.api.get(`/api/v1/incidents/${key}/document?template=everything-twice&format=md`).expect(422);
    expect(res.body.error).to.include({ limit: 'RENDER_OUTPUT_LIMIT', value: 1_000_000 });
    expect(res.body.error.message).to.match(/produced more than 1,000,000 characters/);
    expect(Date.now() - started).to.be.below(2_000);
  });

  it('still renders the built-in postmortem of that incident in full', async () => {
    const res = await t.api.get(`/api/v1/incidents/${key}/document?format=md&locale=en`).expect(200);
    expect(res.text).to.contain('step 499');
  });
});
