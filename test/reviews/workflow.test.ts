import { expect } from 'chai';
import type supertest from 'supertest';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

describe('review workflow', () => {
  let t: TestContext;
  let editor: supertest.Agent;
  let alice: supertest.Agent;
  let bob: supertest.Agent;
  let viewer: supertest.Agent;
  before(async () => {
    t = await createTestContext('review_workflow');
    editor = await t.as('editor', 'sre@example.com');
    alice = await t.as('reviewer', 'alice@example.com');
    bob = await t.as('reviewer', 'bob@example.com');
    viewer = await t.as('viewer', 'viewer@example.com');
  });
  after(() => t.close());

  const file = async (body: object) => (await editor.post('/api/v1/incidents').send(body).expect(201)).body;

  it('carries the decrypt postmortem from filing to a published snapshot, and the audit log tells the story', async () => {
    const incident = await file(fixture('decrypt-failure'));
    const key = incident.key as string;
    expect((await viewer.get(`/api/v1/incidents/${key}/review`).expect(200)).body.status).to.equal('draft');

    // Round 1: two reviewers.
    const requested = await editor.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['alice@example.com', 'bob@example.com'] }).expect(200);
    expect(requested.body).to.include({ status: 'in_review', round: 1, author: 'sre@example.com' });

    const thread = await alice
      .post(`/api/v1/incidents/${key}/comments`)
      .send({ anchor: { section: 'cause' }, body: 'Which firewall rules were missing? @sre@example.com please name them.' })
      .expect(201);
    expect(thread.body.mentions).to.deep.equal(['sre@example.com']);
    await bob.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'request_changes', note: 'Name the rules' }).expect(200);
    expect((await viewer.get(`/api/v1/incidents/${key}/review`)).body.status).to.equal('changes_requested');

    // The editor answers, fixes the cause, resolves the thread and asks again.
    await editor.post(`/api/v1/incidents/${key}/comments/${thread.body.id}/replies`).send({ body: 'The AZ→ARK rules on the new DR site; added to the cause.' }).expect(201);
    const current = (await editor.get(`/api/v1/incidents/${key}`)).body;
    await editor
      .patch(`/api/v1/incidents/${key}`)
      .send({ version: current.version, cause: { rootCauses: ['新容灾机房 AZ→ARK 防火墙规则缺失'] } })
      .expect(200);
    await editor.post(`/api/v1/incidents/${key}/comments/${thread.body.id}/resolve`).expect(200);
    await editor.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['alice@example.com', 'bob@example.com'] }).expect(200);

    // Round 2: both approve.
    const first = await alice.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'approve' }).expect(200);
    expect(first.body.status).to.equal('in_review');
    const second = await bob.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'approve' }).expect(200);
    expect(second.body.status).to.equal('approved');

    const published = await editor.post(`/api/v1/incidents/${key}/review/publish`).send({}).expect(200);
    expect(published.body.status).to.equal('published');
    const n = published.body.publishedSnapshot;
    const snapshot = (await viewer.get(`/api/v1/incidents/${key}/snapshots/${n}`).expect(200)).body;
    expect(JSON.stringify(snapshot)).to.include('新容灾机房 AZ→ARK 防火墙规则缺失');

    // Later edits do not change the published snapshot.
    const latest = (await editor.get(`/api/v1/incidents/${key}`)).body;
    await editor.patch(`/api/v1/incidents/${key}`).send({ version: latest.version, title: 'renamed after publishing' }).expect(200);
    expect(JSON.stringify((await viewer.get(`/api/v1/incidents/${key}/snapshots/${n}`)).body)).to.not.include('renamed after publishing');

    // A viewer cannot edit.
    const refused = await viewer.patch(`/api/v1/incidents/${key}`).send({ version: latest.version + 1, title: 'x' }).expect(403);
    expect(refused.body.error.message).to.match(/viewer may not/);

    // The rounds differ in the cause, field by field.
    const diff = await viewer.get(`/api/v1/incidents/${key}/revisions/1/diff/2`).expect(200);
    expect(diff.body.changes).to.deep.equal([
      { field: 'cause.rootCauses', from: fixture('decrypt-failure').cause && (fixture('decrypt-failure').cause as { rootCauses: string[] }).rootCauses, to: ['新容灾机房 AZ→ARK 防火墙规则缺失'] },
    ]);

    const audit = await t.api.get(`/api/v1/audit?incident=${key}`).expect(200);
    const story = audit.body.items.map((e: { by: string; event: string }) => `${e.by}: ${e.event}`);
    expect(story).to.deep.equal([
      'sre@example.com: filed',
      'sre@example.com: review requested',
      'alice@example.com: commented on cause',
      'bob@example.com: changes requested',
      'sre@example.com: replied',
      'sre@example.com: updated',
      'sre@example.com: thread resolved',
      'sre@example.com: review requested',
      'alice@example.com: approved',
      'bob@example.com: approved',
      'sre@example.com: published',
      'sre@example.com: updated',
    ]);
  });

  it('refuses review of a postmortem without impact, cause or actions, listing what is missing', async () => {
    const incident = await file({ title: 'Half-written' });
    const res = await editor.post(`/api/v1/incidents/${incident.key}/review/request`).send({ reviewers: ['alice@example.com'] }).expect(422);
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).to.deep.equal(['impact', 'cause', 'actions']);
    expect((await viewer.get(`/api/v1/incidents/${incident.key}/review`)).body.status).to.equal('draft');
  });

  it('accepts a written reason instead of actions', async () => {
    const incident = await file({ title: 'Blip', impact: { summary: '2 min of 502s' }, cause: { trigger: 'deploy' } });
    await editor.post(`/api/v1/incidents/${incident.key}/review/request`).send({ reviewers: ['alice@example.com'], noActionReason: 'Covered by INC-2023-0001 actions' }).expect(200);
  });

  it('refuses reviewers who are authors, unknown or not reviewers', async () => {
    const incident = await file({ ...fixture('tidb-sync'), actions: [{ title: 'x' }] });
    const res = await editor
      .post(`/api/v1/incidents/${incident.key}/review/request`)
      .send({ reviewers: ['sre@example.com', 'nobody@example.com', 'viewer@example.com'] })
      .expect(422);
    expect(res.body.error.fields.map((f: { message: string }) => f.message)).to.deep.equal([
      'sre@example.com is an author of this postmortem and cannot review it',
      'nobody@example.com is not a person here',
      'viewer@example.com is a viewer, not a reviewer',
    ]);
  });

  it('does not let an author approve, nor anyone approve past an unresolved thread', async () => {
    const incident = await file({ ...fixture('tidb-sync'), owner: 'alice@example.com', actions: [{ title: 'x' }] });
    const key = incident.key;
    await t.api.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['bob@example.com'] }).expect(200);
    const own = await alice.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'approve' }).expect(403);
    expect(own.body.error.message).to.match(/author/);
    const thread = await alice.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'action', actionKey: `${key}-A1` }, body: 'Owner?' }).expect(201);
    const blocked = await bob.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'approve' }).expect(409);
    expect(blocked.body.error.unresolvedThreads.map((x: { id: string }) => x.id)).to.deep.equal([thread.body.id]);
    await bob.post(`/api/v1/incidents/${key}/comments/${thread.body.id}/resolve`).expect(200);
    await bob.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'approve' }).expect(200);
  });

  it('refuses to publish what changed after approval', async () => {
    const incident = await file({ ...fixture('tidb-sync'), actions: [{ title: 'x' }] });
    const key = incident.key;
    await editor.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['bob@example.com'] }).expect(200);
    await bob.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'approve' }).expect(200);
    await editor.patch(`/api/v1/incidents/${key}`).send({ version: 0, summary: 'sneaked in' }).expect(200);
    const res = await editor.post(`/api/v1/incidents/${key}/review/publish`).send({}).expect(409);
    expect(res.body.error.message).to.match(/changed after it was approved/);
  });
});

describe('comments', () => {
  let t: TestContext;
  let key: string;
  before(async () => {
    t = await createTestContext('review_comments');
    key = (await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body.key;
  });
  after(() => t.close());

  it('anchors threads to a section or one of the incident’s actions, and refuses others', async () => {
    await t.api.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'action', actionKey: `${key}-A2` }, body: 'Who owns this?' }).expect(201);
    const wrong = await t.api.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'action', actionKey: 'INC-1999-0001-A1' }, body: 'x' }).expect(400);
    expect(wrong.body.error.fields[0].field).to.equal('anchor.actionKey');
    const noKey = await t.api.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'action' }, body: 'x' }).expect(400);
    expect(noKey.body.error.fields[0]).to.deep.equal({ field: 'anchor.actionKey', message: 'required when section is action' });
    const section = await t.api.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'colour' }, body: 'x' }).expect(400);
    expect(section.body.error.fields[0].field).to.equal('anchor.section');
    const threads = (await t.api.get(`/api/v1/incidents/${key}/comments`)).body;
    expect(threads.map((x: { anchor: object }) => x.anchor)).to.deep.equal([{ section: 'action', actionKey: `${key}-A2` }]);
  });

  it('resolves and reopens threads, and notifies mentions and the thread’s people', async () => {
    const reviewer = await t.as('reviewer', 'carol@example.com');
    const root = await reviewer.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'impact' }, body: 'Were merchants told? cc @dave@example.com' }).expect(201);
    await t.api.post(`/api/v1/incidents/${key}/comments/${root.body.id}/replies`).send({ body: 'Yes, by the account managers.' }).expect(201);
    const resolved = await t.api.post(`/api/v1/incidents/${key}/comments/${root.body.id}/resolve`).expect(200);
    expect(resolved.body).to.include({ resolved: true, resolvedBy: 'admin@example.com' });
    expect(resolved.body.replies).to.have.length(1);
    const reopened = await reviewer.post(`/api/v1/incidents/${key}/comments/${root.body.id}/reopen`).expect(200);
    expect(reopened.body.resolved).to.equal(false);

    const notes = await t.services.models.notifications.find({ kind: { $in: ['mention', 'reply'] } }).sort({ createdAt: 1 }).lean();
    expect(notes.map((n) => `${n.kind} → ${n.recipient}`)).to.deep.equal(['mention → dave@example.com', 'reply → carol@example.com']);
  });

  it('answers 404 for a thread of another incident or a malformed id', async () => {
    await t.api.post(`/api/v1/incidents/${key}/comments/nope/resolve`).expect(404);
    await t.api.post(`/api/v1/incidents/${key}/comments/0123456789abcdef01234567/replies`).send({ body: 'x' }).expect(404);
  });
});
