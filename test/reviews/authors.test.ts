import { expect } from 'chai';
import { revisionId } from '../../src/lib/revisions.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

describe('who counts as an author of a postmortem', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('review_authors');
  });
  after(() => t.close());

  const fileAndEdit = async () => {
    // The admin files and edits; an editor asks for the review, naming the admin among the reviewers.
    const incident = (await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body;
    const edited = await t.api.patch(`/api/v1/incidents/${incident.key}`).send({ version: incident.version, summary: 'Rewritten by the admin' }).expect(200);
    return { key: incident.key as string, version: edited.body.version as number };
  };

  it('refuses as a reviewer someone who filed and edited the incident (an admin did)', async () => {
    const editor = await t.as('editor', 'sre@example.com');
    await t.as('reviewer', 'alice@example.com');
    const { key } = await fileAndEdit();
    const res = await editor.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['admin@example.com', 'alice@example.com'] }).expect(422);
    expect(res.body.error.fields).to.deep.equal([{ field: 'reviewers.0', message: 'admin@example.com is an author of this postmortem and cannot review it' }]);
  });

  it('counts the filer of an incident never edited, and of one filed before the filer was kept on it (its first revision says)', async () => {
    const editor = await t.as('editor', 'filer@example.com');
    await t.as('reviewer', 'carol@example.com');
    const refusal = (email: string) => [{ field: 'reviewers.0', message: `${email} is an author of this postmortem and cannot review it` }];
    const fresh = (await editor.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body;
    const res = await t.api.post(`/api/v1/incidents/${fresh.key}/review/request`).send({ reviewers: ['filer@example.com'] }).expect(422);
    expect(res.body.error.fields).to.deep.equal(refusal('filer@example.com'));
    // Stored the earlier way: no filer on the record, its first state kept as revision 0 by whoever filed it.
    const old = (await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body;
    const stored = await t.services.models.incidents.collection.findOneAndUpdate({ key: old.key }, { $unset: { filedBy: '' } }, { returnDocument: 'after' });
    const { _id, ...state } = stored!;
    await t.services.models.revisions.collection.insertOne({ _id: revisionId('incident', _id, 0) as never, entity: 'incident', entityId: _id, version: 0, state, by: 'carol@example.com', at: t.clock.now() });
    await t.services.mirror.reload();
    const legacy = await t.api.post(`/api/v1/incidents/${old.key}/review/request`).send({ reviewers: ['carol@example.com'] }).expect(422);
    expect(legacy.body.error.fields).to.deep.equal(refusal('carol@example.com'));
  });

  it('forbids a reviewer who edited the content during the review from approving it', async () => {
    const editor = await t.as('editor', 'sre2@example.com');
    const bob = await t.as('admin', 'bob@example.com');
    const incident = (await editor.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body;
    await editor.post(`/api/v1/incidents/${incident.key}/review/request`).send({ reviewers: ['bob@example.com'] }).expect(200);
    await bob.patch(`/api/v1/incidents/${incident.key}`).send({ version: incident.version, summary: 'Bob wrote this part' }).expect(200);
    const refused = await bob.post(`/api/v1/incidents/${incident.key}/review/decisions`).send({ decision: 'approve' }).expect(403);
    expect(refused.body.error.message).to.match(/filing or editing it makes one an author/);
    expect((await bob.get(`/api/v1/incidents/${incident.key}/review`).expect(200)).body.status).to.equal('in_review');
  });

  it('lets a team allow editors to review (REVIEW_EDITORS_MAY_REVIEW=true)', async () => {
    const relaxed = await createTestContext('review_authors_relaxed', { REVIEW_EDITORS_MAY_REVIEW: 'true' });
    try {
      const editor = await relaxed.as('editor', 'sre@example.com');
      const incident = (await relaxed.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body;
      await editor.post(`/api/v1/incidents/${incident.key}/review/request`).send({ reviewers: ['admin@example.com'] }).expect(200);
      await relaxed.api.post(`/api/v1/incidents/${incident.key}/review/decisions`).send({ decision: 'approve' }).expect(200);
    } finally {
      await relaxed.close();
    }
  });

  it('accepts the first admin\'s default address admin@localhost as owner, action owner and reviewer', async () => {
    const local = await t.as('admin', 'admin@localhost');
    const body = { ...fixture('tidb-sync'), owner: 'admin@localhost' };
    body.actions = body.actions.map((a) => ({ ...a, owner: 'admin@localhost' }));
    const incident = (await t.api.post('/api/v1/incidents').send(body).expect(201)).body;
    expect(incident.owner).to.equal('admin@localhost');
    const editor = await t.as('editor', 'sre3@example.com');
    const other = (await editor.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body;
    await editor.post(`/api/v1/incidents/${other.key}/review/request`).send({ reviewers: ['admin@localhost'] }).expect(200);
    const thread = await editor.post(`/api/v1/incidents/${other.key}/comments`).send({ anchor: { section: 'cause' }, body: 'Please check @admin@localhost.' }).expect(201);
    expect(thread.body.mentions).to.deep.equal(['admin@localhost']);
    await local.post(`/api/v1/incidents/${other.key}/comments/${thread.body.id}/resolve`).expect(200);
    await local.post(`/api/v1/incidents/${other.key}/review/decisions`).send({ decision: 'approve' }).expect(200);
  });
});
