import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

describe('documents as plain text', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('documents_txt');
  });
  after(() => t.close());

  it('answers format=txt for the postmortem (listed, but it was a 422), with values unescaped', async () => {
    const incident = (await t.api.post('/api/v1/incidents').send({ ...fixture('decrypt-failure'), title: 'Decrypt <failure> | keys & co' }).expect(201)).body;
    for (const locale of ['en', 'zh-CN']) {
      const res = await t.api.get(`/api/v1/incidents/${incident.key}/document?format=txt&locale=${locale}`).expect(200);
      expect(res.headers['content-type']).to.equal('text/plain; charset=utf-8');
      expect(res.text).to.contain('Decrypt <failure> | keys & co');
      expect(res.text).to.contain(incident.key);
    }
    const weekly = await t.api.get(`/api/v1/incidents/${incident.key}/document?template=weekly-entry&format=txt`).expect(200);
    expect(weekly.text).to.match(/^- 2\/14 12:04 /);
  });
});
