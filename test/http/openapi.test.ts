import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';

describe('OpenAPI document', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('openapi');
  });
  after(() => t.close());

  it('describes every incident route with the schemas the API validates with', async () => {
    const { body } = await t.api.get('/api/v1/openapi.json').expect(200);
    expect(body.openapi).to.equal('3.1.0');
    expect(body.paths['/api/v1/incidents']).to.have.keys('get', 'post');
    expect(body.paths['/api/v1/incidents/{key}']).to.have.keys('get', 'patch');
    const create = body.paths['/api/v1/incidents'].post.requestBody.content['application/json'].schema;
    expect(create.required).to.include('title');
    expect(create.additionalProperties).to.equal(false);
    expect(create.properties.impact.properties.errorRatios.items.required).to.include.members(['label', 'totalRows', 'errorRows']);
    const params = body.paths['/api/v1/incidents'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).to.include.members(['status', 'severity', 'service', 'tag', 'owner', 'startedFrom', 'startedTo', 'q', 'sort', 'page', 'pageSize']);
  });
});
