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

  it('declares for every operation its success and error responses with schemas, and request formats and enums', async () => {
    const { body } = await t.api.get('/api/v1/openapi.json').expect(200);
    type Response = { content: Record<string, { schema?: Record<string, unknown> }> };
    let operations = 0;
    for (const [path, byMethod] of Object.entries(body.paths as Record<string, Record<string, { responses: Record<string, Response> }>>)) {
      for (const [method, op] of Object.entries(byMethod)) {
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        const success = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
        expect(success, where).to.have.length(1);
        for (const [type, content] of Object.entries(success[0]![1].content)) expect(content.schema, `${where} ${type}`).to.be.an('object').that.is.not.empty;
        // Outside /api/v1 (Slack's interactions) the signature is the credential: no 401 for a session.
        for (const status of path.startsWith('/api/v1/') ? ['400', '401', '403', 'default'] : ['400', '403', 'default']) {
          expect(op.responses[status]?.content['application/json']?.schema?.required, `${where} ${status}`).to.deep.equal(['error']);
        }
      }
    }
    expect(operations).to.equal(67);
    const incident = body.paths['/api/v1/incidents/{key}'].get.responses['200'].content['application/json'].schema;
    expect(incident.required).to.include.members(['id', 'key', 'title', 'status', 'version']);
    expect(incident.properties.status.enum).to.deep.equal(['investigating', 'mitigated', 'resolved', 'closed']);
    const create = body.paths['/api/v1/incidents'].post.requestBody.content['application/json'].schema;
    expect(create.properties.window.properties.startedAt.pattern).to.be.a('string');
    expect(create.properties.dataRepair.properties.range.properties.from.format).to.equal('date');
    expect(create.properties.owner.format).to.equal('email');
    expect(create.properties.links.items.properties.url.format).to.equal('uri');
    const document = body.paths['/api/v1/incidents/{key}/document'].get.responses['200'].content;
    expect(Object.keys(document)).to.deep.equal(['text/markdown', 'text/html', 'text/plain']);
  });
});
