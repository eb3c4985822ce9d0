import { expect } from 'chai';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';

describe('service catalog API', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('catalog_api');
  });
  after(() => t.close());

  it('adds, reads, lists, changes and removes a service; everyone reads, only editors and admins write', async () => {
    const editor = await t.as('editor');
    const viewer = await t.as('viewer');
    const created = (await editor.post('/api/v1/services').send({ name: 'payments-api', ownerTeam: 'payments', system: '支付系统', description: 'card payments' }).expect(201)).body;
    expect(created).to.include({ name: 'payments-api', ownerTeam: 'payments', system: '支付系统', description: 'card payments', version: 0 });

    await viewer.post('/api/v1/services').send({ name: 'ledger' }).expect(403);
    expect((await viewer.get('/api/v1/services/payments-api').expect(200)).body.ownerTeam).to.equal('payments');
    expect((await viewer.get('/api/v1/services').expect(200)).body.items.map((s: { name: string }) => s.name)).to.deep.equal(['payments-api']);

    const changed = (await editor.patch('/api/v1/services/payments-api').send({ version: 0, ownerTeam: 'payments-core', description: null }).expect(200)).body;
    expect(changed).to.include({ ownerTeam: 'payments-core', system: '支付系统', version: 1 });
    expect(changed).to.not.have.property('description');

    await viewer.delete('/api/v1/services/payments-api').expect(403);
    await editor.delete('/api/v1/services/payments-api').query({ version: 1 }).expect(200);
    await viewer.get('/api/v1/services/payments-api').expect(404);
    expect((await viewer.get('/api/v1/services').expect(200)).body.total).to.equal(0);

    // Added again under the same name after its removal: a new entry, not the old one's fields.
    const again = (await editor.post('/api/v1/services').send({ name: 'payments-api' }).expect(201)).body;
    expect(again).to.not.have.property('ownerTeam');
    expect(again.version).to.equal(3);
    const audit = (await t.api.get('/api/v1/audit').query({ entity: 'service' }).expect(200)).body;
    expect(audit.items.map((e: { event: string }) => e.event)).to.include.members(['added to the catalog', 'catalog entry changed', 'removed from the catalog']);
  });

  it('refuses a duplicate name (409, also in another case), a rename (422 naming the field), bad fields (400) and a stale version (409)', async () => {
    await t.api.post('/api/v1/services').send({ name: 'ledger', ownerTeam: 'finance' }).expect(201);
    const dup = await t.api.post('/api/v1/services').send({ name: 'Ledger ' }).expect(409);
    expect(dup.body.error.message).to.contain('ledger is already in the service catalog');

    const rename = await t.api.patch('/api/v1/services/ledger').send({ version: 0, name: 'ledger-v2' }).expect(422);
    expect(rename.body.error.fields[0].field).to.equal('name');

    const bad = await t.api.post('/api/v1/services').send({ name: '', ownerTeam: 'x'.repeat(101), colour: 'red' }).expect(400);
    const fields = bad.body.error.fields.map((f: { field: string }) => f.field);
    expect(fields).to.include.members(['name', 'ownerTeam']);
    await t.api.post('/api/v1/services').send({ name: { $gt: '' } }).expect(400);

    await t.api.patch('/api/v1/services/ledger').send({ version: 0, system: '清结算' }).expect(200);
    const stale = await t.api.patch('/api/v1/services/ledger').send({ version: 0, ownerTeam: 'ops' }).expect(409);
    expect(stale.body.error.message).to.contain('changed by someone else');
    await t.api.patch('/api/v1/services/no-such').send({ version: 0 }).expect(404);
    expect((await t.api.get('/api/v1/services/ledger').expect(200)).body).to.include({ ownerTeam: 'finance', system: '清结算' });
  });

  it('is read from the read model: another process sees a change without a restart', async () => {
    await t.api.post('/api/v1/services').send({ name: 'settlement', system: '清结算' }).expect(201);
    const seen = await inAnotherProcess(t, async (other) => (await other.catalog.find('settlement')).system);
    expect(seen).to.equal('清结算');
    await inAnotherProcess(t, async (other) => other.catalog.update('settlement', { version: 0, system: null }, { email: 'admin@example.com' } as never));
    expect((await t.api.get('/api/v1/services/settlement').expect(200)).body).to.not.have.property('system');
  });
});
