import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

describe('incident input: links and fields every incident keeps', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('incident_links');
  });
  after(() => t.close());

  const refused = ['javascript:alert(document.cookie)', 'JavaScript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox', 'file:///etc/passwd'];

  it('keeps http, https and mailto links, and refuses javascript:, data: and other schemes in links and reportUrl', async () => {
    const ok = await t.api
      .post('/api/v1/incidents')
      .send({ ...fixture('decrypt-failure'), links: [{ title: 'dash', url: 'https://grafana.example.com/d/1' }, { url: 'http://wiki/x' }, { url: 'mailto:sre@example.com' }], review: { reportUrl: 'https://wiki.example.com/pm' } })
      .expect(201);
    expect(ok.body.links.map((l: { url: string }) => l.url)).to.deep.equal(['https://grafana.example.com/d/1', 'http://wiki/x', 'mailto:sre@example.com']);
    for (const url of refused) {
      const res = await t.api.post('/api/v1/incidents').send({ ...fixture('decrypt-failure'), links: [{ url }] }).expect(400);
      expect(res.body.error.fields[0]).to.deep.equal({ field: 'links.0.url', message: 'must be a URL starting with http:, https:, mailto:' });
      const patched = await t.api.patch(`/api/v1/incidents/${ok.body.key}`).send({ version: ok.body.version, review: { reportUrl: url } }).expect(400);
      expect(patched.body.error.fields[0].field).to.equal('review.reportUrl');
    }
    expect((await t.api.get(`/api/v1/incidents/${ok.body.key}`)).body.version, 'nothing changed').to.equal(ok.body.version);
  });

  it('refuses such links as action tickets and as evidence, while evidence may still be a sentence', async () => {
    const incident = (await t.api.post('/api/v1/incidents').send(fixture('tidb-sync')).expect(201)).body;
    const added = await t.api.post(`/api/v1/incidents/${incident.key}/actions`).send({ title: 'Alert on lag', ticket: { key: 'OPS-1', url: 'javascript:alert(1)' } }).expect(400);
    expect(added.body.error.fields[0].field).to.equal('ticket.url');
    const action = (await t.api.post(`/api/v1/incidents/${incident.key}/actions`).send({ title: 'Alert on lag', ticket: { key: 'OPS-1', url: 'https://jira/OPS-1' } }).expect(201)).body;
    const bad = await t.api.post(`/api/v1/actions/${action.key}/transitions`).send({ to: 'done', note: 'done', evidence: ['https://git/pr/1', 'javascript:alert(1)'] }).expect(400);
    expect(bad.body.error.fields[0]).to.deep.equal({ field: 'evidence.1', message: 'a link must be a URL starting with http:, https:, mailto:' });
    const done = await t.api.post(`/api/v1/actions/${action.key}/transitions`).send({ to: 'done', note: 'done', evidence: ['https://git/pr/1', 'note: alert added in the runbook'] }).expect(200);
    expect(done.body.evidence).to.deep.equal(['https://git/pr/1', 'note: alert added in the runbook']);
  });

  it('does not clear the fields every incident has (found by the schemathesis run: a PATCH with timezone null left an incident without one)', async () => {
    const incident = (await t.api.post('/api/v1/incidents').send(fixture('tidb-sync')).expect(201)).body;
    for (const field of ['timezone', 'locale', 'severity']) {
      const res = await t.api.patch(`/api/v1/incidents/${incident.key}`).send({ version: incident.version, [field]: null }).expect(400);
      expect(res.body.error.fields[0].field).to.equal(field);
    }
    const after = (await t.api.get(`/api/v1/incidents/${incident.key}`).expect(200)).body;
    expect(after).to.include({ timezone: incident.timezone, locale: incident.locale, severity: incident.severity, version: incident.version });
  });

  it('refuses a NUL character in any field with 400 naming it (PostgreSQL under FerretDB cannot store one)', async () => {
    const res = await t.api.post('/api/v1/me/tokens').send({ name: 'laptop\u0000' }).expect(400);
    expect(res.body.error.fields).to.deep.equal([{ field: 'name', message: 'must not contain a NUL character (\\u0000)' }]);
    const filed = await t.api.post('/api/v1/incidents').send({ title: 'x', cause: { rootCauses: ['a', 'b\u0000'] } }).expect(400);
    expect(filed.body.error.fields[0].field).to.equal('cause.rootCauses.1');
  });
});
