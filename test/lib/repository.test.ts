import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Connection } from 'mongoose';
import { patchActionBody } from '../../src/actions/schemas.js';
import { SYSTEM_ACTOR, type Actor } from '../../src/http/actor.js';
import { createIncidentBody, patchIncidentBody } from '../../src/incidents/schemas.js';
import { connectDb } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { inRequestScope } from '../../src/lib/request-scope.js';
import { buildServices, type Services } from '../../src/services.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { serverUri } from '../support/hooks.js';

/** Source files under src/ (recursively). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('one write path per entity (src/lib/repository.ts)', function () {
  this.timeout(60_000);
  let t: TestContext;
  let conn2: Connection;
  let other: Services;
  const input = () => createIncidentBody.parse(fixture('decrypt-failure'));
  /** The record as the other process's read model has it on its next request. */
  const there = async <T = Record<string, unknown>>(entity: string, id: unknown) => {
    await inRequestScope(() => other.mirror.sync());
    return other.mirror.get<T & { version: number }>(entity, String(id));
  };

  before(async () => {
    t = await createTestContext('repository');
    // Another process on the same database: its own connection, feed reader and read model.
    conn2 = await connectDb(serverUri(), t.conn.name);
    other = buildServices({ config: t.config, conn: conn2, clock: t.clock, logger: createLogger('silent') });
    await inRequestScope(() => other.mirror.sync());
  });
  after(async () => {
    await conn2.close();
    await t.close();
  });

  it('brings every filing and edit of incidents and actions to the other process', async () => {
    const filed = await t.services.incidents.create(input(), SYSTEM_ACTOR);
    expect((await there('incident', filed.id))).to.include({ key: filed.key, version: 0 });
    for (const a of filed.actions as { key: string }[]) expect(await there('action', a.key), a.key).to.include({ version: 0 });
    await t.services.incidents.patch(filed.key, patchIncidentBody.parse({ version: 0, title: 'edited here' }), SYSTEM_ACTOR);
    expect(await there('incident', filed.id)).to.include({ title: 'edited here', version: 1 });
    const added = await t.services.actions.create(filed.key, { title: 'one more' } as never, SYSTEM_ACTOR);
    expect(await there('action', added.key)).to.include({ title: 'one more', version: 0 });
    await t.services.actions.patch(added.key, patchActionBody.parse({ version: 0, team: 'ledger' }), SYSTEM_ACTOR);
    expect(await there('action', added.key)).to.include({ team: 'ledger', version: 1 });
  });

  it('brings people and their credentials (tokens, revocations, expired sessions pruned) to the other process', async () => {
    const person = await t.services.users.create({ email: 'kim@example.com', name: 'Kim', role: 'reviewer' }, SYSTEM_ACTOR);
    expect(await there('user', person.id)).to.include({ email: 'kim@example.com', version: 0 });
    await t.services.users.update('kim@example.com', { version: 0, name: 'Kim Lee' } as never, SYSTEM_ACTOR);
    expect(await there('user', person.id)).to.include({ name: 'Kim Lee', version: 1 });

    const { token, id: tokenId } = await t.services.users.issueToken('kim@example.com', 'ci', SYSTEM_ACTOR);
    expect((await inRequestScope(() => other.users.authenticateToken(token)))?.email).to.equal('kim@example.com');
    await t.services.users.revokeToken(person.id, tokenId, SYSTEM_ACTOR);
    expect(await inRequestScope(() => other.users.authenticateToken(token))).to.equal(undefined);

    const session = await t.services.users.startSession(person.id);
    expect((await inRequestScope(() => other.users.authenticateSession(session)))?.email).to.equal('kim@example.com');
    const before = other.mirror.count('credential');
    t.clock.advance(13 * 3600_000);
    expect((await t.services.users.pruneCredentials()).deleted).to.be.greaterThan(0);
    await there('credential', 'none');
    expect(other.mirror.count('credential')).to.be.lessThan(before);
    expect(await inRequestScope(() => other.users.authenticateSession(session))).to.equal(undefined);
  });

  it('brings reviews and comment threads (started, answered, resolved) to the other process', async () => {
    const filed = await t.services.incidents.create(input(), SYSTEM_ACTOR);
    const reviewer = await t.services.users.create({ email: 'rev@example.com', name: 'Rev', role: 'reviewer' }, SYSTEM_ACTOR);
    const rev: Actor = { ...SYSTEM_ACTOR, id: reviewer.id, email: 'rev@example.com', name: 'Rev', role: 'reviewer' };
    await t.services.reviews.request(filed.key, { reviewers: ['rev@example.com'] }, SYSTEM_ACTOR);
    expect(await there('review', filed.id)).to.include({ status: 'in_review', version: 0 });
    await t.services.reviews.decide(filed.key, { decision: 'request_changes', note: 'more numbers' }, rev);
    expect(await there('review', filed.id)).to.include({ status: 'changes_requested', version: 1 });

    const comment = await t.services.reviews.comment(filed.key, { section: 'impact' }, 'how many?', rev);
    expect(await there('comment', comment.id)).to.include({ body: 'how many?', version: 0 });
    const answer = await t.services.reviews.reply(filed.key, comment.id, 'about 300', SYSTEM_ACTOR);
    expect(await there('comment', answer.id)).to.include({ body: 'about 300' });
    const incident = await t.services.incidents.find(filed.key);
    await t.services.comments.setResolved(incident, comment.id, true, rev);
    expect(await there('comment', comment.id)).to.include({ resolved: true, version: 1 });
  });

  it('files an incident with its actions all or none: actions refused take the incident back, in both processes', async () => {
    const first = await t.services.incidents.create(input(), SYSTEM_ACTOR);
    const [, year, seq] = /^INC-(\d+)-(\d+)$/.exec(first.key)!;
    const blocked = `INC-${year}-${String(Number(seq) + 1).padStart(4, '0')}`;
    // A stray record (left by hand) holds the next number's second action.
    const stray = { ...(await t.services.models.actions.findById(`${first.key}-A2`).lean())!, _id: `${blocked}-A2`, key: `${blocked}-A2`, title: 'stray' };
    await t.services.models.actions.collection.insertOne(stray as never);

    const filed = await t.services.incidents.create(input(), SYSTEM_ACTOR);
    // The filing took the number after: the blocked one's incident and first action were taken back.
    expect(filed.key).to.not.equal(blocked);
    expect((filed.actions as { key: string }[]).map((a) => a.key)).to.deep.equal([1, 2, 3].map((n) => `${filed.key}-A${n}`));
    expect(await t.services.models.incidents.exists({ key: blocked })).to.equal(null);
    expect(await t.services.models.actions.findById(`${blocked}-A1`).lean()).to.equal(null);
    // The other process's record under the refused _id is left as it was.
    expect((await t.services.models.actions.findById(`${blocked}-A2`).lean())?.title).to.equal('stray');
    for (const s of [t.services, other]) {
      const keys = await inRequestScope(async () => (await s.incidents.list({ page: 1, pageSize: 100, sort: '-startedAt' } as never)).items.map((i) => i.key));
      expect(keys).to.include(filed.key).and.not.include(blocked);
      expect(s.mirror.get('action', `${blocked}-A1`)).to.equal(undefined);
    }
    expect(await t.services.mirror.drift()).to.deep.equal([]);
  });

  it('is the only way a feature writes: no feature module imports the change feed or the revisions', () => {
    const src = path.resolve('src');
    const offenders = sources(src)
      .filter((f) => !f.startsWith(path.join(src, 'lib')) && !['services.ts', 'jobs.ts'].includes(path.relative(src, f)))
      .filter((f) => /from '[./]*\/lib\/feed\.js'|\.replace\(this\.deps\.\w+, '/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => path.relative(src, f))).to.deep.equal([]);
  });
});
