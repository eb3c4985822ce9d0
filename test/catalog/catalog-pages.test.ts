import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { addPeople, signedIn } from '../pages/helpers.js';

describe('service catalog pages, and the catalog on incident pages', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('catalog_pages', { AVAILABILITY_SYSTEMS: '支付系统=payment' });
    await addPeople(t, [
      ['ed@example.com', 'editor', 'en'],
      ['vi@example.com', 'viewer', 'zh-CN'],
    ]);
  });
  after(() => t.close());

  it('lets an editor add, change and remove a service from the navigation; a refused form says why and keeps what was typed', async () => {
    const { agent, token } = await signedIn(t.app, 'ed@example.com');
    expect((await agent.get('/incidents').expect(200)).text).to.contain('<a href="/catalog">Services</a>');
    const list = (await agent.get('/catalog').expect(200)).text;
    // The configured mapping is shown until the catalog takes it over.
    expect(list).to.match(/payment → 支付系统 · <a href="\/catalog\/new\?name&#x3D;payment">add to the catalog<\/a>/);

    await agent.post('/catalog/new').type('form').send({ _csrf: token, name: 'payments-api', ownerTeam: 'payments', system: '支付系统', description: 'card payments' }).expect(303);
    const after = (await agent.get('/catalog').expect(200)).text;
    expect(after).to.contain('<a href="/catalog/payments-api/edit">payments-api</a>');
    expect(after).to.contain('<td data-label="Owner team">payments</td>');

    const dup = await agent.post('/catalog/new').type('form').send({ _csrf: token, name: 'Payments-API', ownerTeam: 'typed team' }).redirects(1).expect(409);
    expect(dup.text).to.contain('payments-api is already in the service catalog');
    expect(dup.text).to.contain('value="typed team"');

    const edit = (await agent.get('/catalog/payments-api/edit').expect(200)).text;
    expect(edit).to.contain('<option value="支付系统">');
    await agent.post('/catalog/payments-api/edit').type('form').send({ _csrf: token, version: '0', name: 'payments-api', ownerTeam: 'payments-core', system: '', description: 'card payments' }).expect(303);
    const changed = (await t.api.get('/api/v1/services/payments-api').expect(200)).body;
    expect(changed).to.include({ ownerTeam: 'payments-core', version: 1 });
    expect(changed).to.not.have.property('system');

    const stale = await agent.post('/catalog/payments-api/edit').type('form').send({ _csrf: token, version: '0', ownerTeam: 'lost?' }).redirects(1).expect(409);
    expect(stale.text).to.contain('value="lost?"');

    await agent.post('/catalog/payments-api/delete').type('form').send({ _csrf: token, version: '1' }).expect(303);
    await t.api.get('/api/v1/services/payments-api').expect(404);
  });

  it('shows a viewer the list in Chinese without the navigation link or forms, and refuses them the form', async () => {
    await t.api.post('/api/v1/services').send({ name: 'ledger', ownerTeam: 'finance' }).expect(201);
    const { agent } = await signedIn(t.app, 'vi@example.com');
    const list = (await agent.get('/catalog').expect(200)).text;
    expect(list).to.contain('<h1>服务目录</h1>');
    expect(list).to.contain('<td>ledger</td>');
    expect(list).to.not.contain('href="/catalog/new');
    expect((await agent.get('/incidents').expect(200)).text).to.not.contain('href="/catalog"');
    await agent.get('/catalog/new').set('accept', 'text/html').expect(403);
  });

  it('suggests known services on the incident form and names services not in the catalog on the incident page', async () => {
    await t.api.post('/api/v1/incidents').send({ title: 'Old one', severity: 'C', services: ['billing-batch'], tags: ['dns'] }).expect(201);
    const { agent } = await signedIn(t.app, 'ed@example.com');
    const form = (await agent.get('/incidents/new').expect(200)).text;
    expect(form).to.contain('list="service-names"');
    // From the catalog (ledger) and from incidents already filed (billing-batch).
    expect(form).to.match(/<datalist id="service-names"><option value="billing-batch"><option value="ledger"><\/datalist>/);

    const { key } = (await t.api.post('/api/v1/incidents').send({ title: 'New one', severity: 'C', services: ['ledger', 'brand new svc'], tags: ['capacity', 'dns'] }).expect(201)).body;
    const page = (await agent.get(`/incidents/${key}`).expect(200)).text;
    expect(page).to.contain('Not in the service catalog: brand new svc (<a href="/catalog/new?name&#x3D;brand+new+svc">add brand new svc</a>)');
    expect(page).to.not.match(/Not in the service catalog:[^<]*ledger/);
    const viewer = await signedIn(t.app, 'vi@example.com');
    const seen = (await viewer.agent.get(`/incidents/${key}`).expect(200)).text;
    expect(seen).to.contain('不在服务目录中： brand new svc</p>');
  });

  it('shows tags in the incident list, each a link that filters the list by it', async () => {
    const { agent } = await signedIn(t.app, 'ed@example.com');
    const list = (await agent.get('/incidents').expect(200)).text;
    expect(list).to.contain('<a class="badge" href="/incidents?tag&#x3D;capacity">capacity</a>');
    const filtered = (await agent.get('/incidents').query({ tag: 'capacity' }).expect(200)).text;
    expect(filtered).to.contain('New one');
    expect(filtered).to.not.contain('Old one');
    expect(filtered).to.contain('name="tag" value="capacity"');
  });
});
