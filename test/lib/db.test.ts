import { expect } from 'chai';
import type { Model } from 'mongoose';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

// New records are inserted through the driver, without a mongoose document (insertPlain):
// what the services build must still be what the model accepts, and what a mongoose document would store.
describe('records inserted without a mongoose document', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('db_insert_cast');
  });
  after(() => t.close());

  it('store what each model validates, as a mongoose document would have stored it', async () => {
    const filed = [];
    for (const name of ['tidb-sync', 'decrypt-failure'] as const) filed.push((await t.api.post('/api/v1/incidents').send(fixture(name)).expect(201)).body);
    // Sections sent empty are not stored (as mongoose's minimize left them out).
    filed.push((await t.api.post('/api/v1/incidents').send({ title: 'Empty sections', lessons: {}, review: {}, actions: [{ title: 'Look', type: 'other', priority: 'low' }] }).expect(201)).body);
    const key = filed[0].key as string;
    await t.api.post('/api/v1/users').send({ email: 'wang@example.com', name: 'Wang Wei', role: 'reviewer', team: 'payments' }).expect(201);
    await t.api.post(`/api/v1/incidents/${key}/actions`).send({ title: 'Alert on sync lag', type: 'detect', priority: 'high', owner: 'wang@example.com' }).expect(201);
    const thread = await t.api.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'cause' }, body: 'Which table? @wang@example.com' }).expect(201);
    await t.api.post(`/api/v1/incidents/${key}/comments/${thread.body.id}/replies`).send({ body: 'The ledger one.' }).expect(201);
    await t.api.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['wang@example.com'] }).expect(200);

    const { incidents, actions, comments, reviews, users, credentials } = t.services.models;
    const expected = { incidents: 3, actions: filed.reduce((n, i) => n + i.actions.length, 1), comments: 2, reviews: 1, users: 2, credentials: 1 };
    const models = { incidents, actions, comments, reviews, users, credentials } as Record<keyof typeof expected, Model<any>>;
    const empty = await incidents.collection.findOne({ key: filed[2].key });
    expect(empty).to.not.have.any.keys('lessons', 'review');
    for (const [name, model] of Object.entries(models) as [keyof typeof expected, Model<any>][]) {
      const stored = await model.collection.find({}).toArray();
      expect(stored, name).to.have.length.of.at.least(expected[name]);
      for (const doc of stored) {
        await model.validate({ ...doc });
        // Nothing a mongoose document would add (a default), cast or leave out.
        expect(new model(doc).toObject({ minimize: true }), `${name} ${String(doc._id)}`).to.deep.equal(doc);
      }
    }
  });
});
