import { expect } from 'chai';
import { actionStatsQuery, listActionsQuery, patchActionBody } from '../../src/actions/schemas.js';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { type Services } from '../../src/services.js';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';
import { addAction, fileIncident, move, verify } from './helpers.js';

/**
 * Seven actions on one incident, created from T0 = 2026-11-01T02:00Z, read on 2026-11-25 (Shanghai):
 *
 * | action | owner | team | due        | created | what happened                 |
 * | a1     | alice | db   | 2026-11-10 | T0      | done T0+4d (on time), verified |
 * | a2     | alice | db   | 2026-11-10 | T0      | done T0+10d (late)             |
 * | a3     | bob   | web  | 2026-11-20 | T0      | done T0+2d (on time)           |
 * | a4     | bob   | web  | 2026-11-20 | T0      | open, overdue                  |
 * | a5     | —     | web  | 2026-12-31 | T0+1d   | open, unowned                  |
 * | a6     | carol | —    | 2026-11-15 | T0      | wont_fix                       |
 * | a7     | carol | —    | 2026-12-31 | T0+2d   | in_progress                    |
 *
 * Creation → done: 2, 4 and 10 days: median 4, 90th percentile 4 + (10 − 4) × 0.8 = 8.8.
 * Closed within SLA: a1 and a3 of a1, a2, a3 = 2/3.
 */
describe('action stats', () => {
  let t: TestContext;
  const DAY = 86_400_000;
  const T0 = '2026-11-01T02:00:00Z';
  const keys: Record<string, string> = {};

  before(async () => {
    t = await createTestContext('actions_stats');
    t.clock.set(T0);
    const incident = await fileIncident(t, { severity: 'B', services: ['billing'] });
    const add = async (name: string, body: Record<string, unknown>) => (keys[name] = (await addAction(t, incident, { title: name, ...body })).key);
    await add('a1', { owner: 'alice@example.com', team: 'db', dueDate: '2026-11-10' });
    await add('a2', { owner: 'alice@example.com', team: 'db', dueDate: '2026-11-10' });
    await add('a3', { owner: 'bob@example.com', team: 'web', dueDate: '2026-11-20' });
    await add('a4', { owner: 'bob@example.com', team: 'web', dueDate: '2026-11-20' });
    await add('a6', { owner: 'carol@example.com', dueDate: '2026-11-15' });
    await move(t, keys.a6!, { to: 'wont_fix', reason: 'Replaced by the new gateway' }).expect(200);
    t.clock.set(new Date(Date.parse(T0) + DAY));
    await add('a5', { team: 'web', dueDate: '2026-12-31' });
    t.clock.set(new Date(Date.parse(T0) + 2 * DAY));
    await add('a7', { owner: 'carol@example.com', dueDate: '2026-12-31' });
    await move(t, keys.a7!, { to: 'in_progress' }).expect(200);
    const finish = { to: 'done', note: 'done', evidence: 'https://runbooks.example.com/x' };
    await move(t, keys.a3!, finish).expect(200);
    t.clock.set(new Date(Date.parse(T0) + 4 * DAY));
    await move(t, keys.a1!, finish).expect(200);
    t.clock.set(new Date(Date.parse(T0) + 5 * DAY));
    await verify(t, keys.a1!);
    t.clock.set(new Date(Date.parse(T0) + 10 * DAY));
    await move(t, keys.a2!, finish).expect(200);
    t.clock.set('2026-11-25T02:00:00Z');
  });
  after(() => t.close());

  it('counts open, overdue, unowned, done, verified and declined actions', async () => {
    const { body } = await t.api.get('/api/v1/actions/stats').expect(200);
    expect(body).to.include({ total: 7, open: 3, overdue: 1, unowned: 1, done: 2, verified: 1, wontFix: 1 });
  });

  it('breaks the counts down per owner and per team, most open first', async () => {
    const { body } = await t.api.get('/api/v1/actions/stats').expect(200);
    expect(body.byOwner).to.deep.equal([
      { owner: 'bob@example.com', total: 2, open: 1, overdue: 1, unowned: 0, done: 1, verified: 0, wontFix: 0 },
      { owner: 'carol@example.com', total: 2, open: 1, overdue: 0, unowned: 0, done: 0, verified: 0, wontFix: 1 },
      { owner: null, total: 1, open: 1, overdue: 0, unowned: 1, done: 0, verified: 0, wontFix: 0 },
      { owner: 'alice@example.com', total: 2, open: 0, overdue: 0, unowned: 0, done: 1, verified: 1, wontFix: 0 },
    ]);
    expect(body.byTeam.map((r: { team: string | null; open: number }) => [r.team, r.open])).to.deep.equal([
      ['web', 2],
      [null, 1],
      ['db', 0],
    ]);
  });

  it('gives the median and 90th percentile time to done and the share closed within SLA', async () => {
    const { body } = await t.api.get('/api/v1/actions/stats').expect(200);
    expect(body.timeToDone).to.deep.equal({ count: 3, medianDays: 4, p90Days: 8.8 });
    expect(body.withinSla).to.deep.equal({ closed: 3, onTime: 2, share: 0.67 });
  });

  it('lists the oldest open actions with their age', async () => {
    const { body } = await t.api.get('/api/v1/actions/stats').expect(200);
    expect(body.oldestOpen.map((a: { key: string; ageDays: number; overdue: boolean }) => [a.key, a.ageDays, a.overdue])).to.deep.equal([
      [keys.a4, 24, true],
      [keys.a5, 23, false],
      [keys.a7, 22, false],
    ]);
  });

  it('narrows to the same filters as the list', async () => {
    const web = await t.api.get('/api/v1/actions/stats?team=web').expect(200);
    expect(web.body).to.include({ total: 3, open: 2, overdue: 1, unowned: 1, done: 1 });
    expect(web.body.timeToDone).to.deep.equal({ count: 1, medianDays: 2, p90Days: 2 });
    const none = await t.api.get('/api/v1/actions/stats?severity=A').expect(200);
    expect(none.body).to.include({ total: 0, open: 0 });
    expect(none.body.timeToDone).to.deep.equal({ count: 0, medianDays: null, p90Days: null });
    expect(none.body.withinSla.share).to.equal(null);
    expect((await t.api.get('/api/v1/actions/stats?service=billing').expect(200)).body.total).to.equal(7);
    await t.api.get('/api/v1/actions/stats?sort=dueDate').expect(400);
  });

  it('keeps its counts and lists up to date change by change, as a fresh read of every action gives them', async () => {
    const queries: Record<string, string>[] = [{}, { team: 'web' }, { owner: 'bob@example.com' }, { overdue: 'true' }, { severity: 'B' }, { status: 'open,in_progress' }];
    const answers = (s: Services) =>
      Promise.all(
        queries.map(async ({ overdue, ...filters }: Record<string, string>) => ({
          // The stats take the list's filters but "overdue" (they count it).
          stats: await s.actions.stats(actionStatsQuery.parse(filters)),
          list: (await s.actions.list(listActionsQuery.parse({ ...filters, ...(overdue ? { overdue } : {}), sort: 'dueDate' }))).items.map((a) => a.key),
        })),
      );
    const before = await answers(t.services);
    // Kept from here on: each change below is applied to what was kept, not counted again.
    const incident = keys.a1!.replace(/-A\d+$/, '');
    keys.a8 = (await addAction(t, incident, { title: 'a8', owner: 'bob@example.com', team: 'web', dueDate: '2026-11-21' })).key;
    await move(t, keys.a4!, { to: 'done', note: 'done', evidence: 'https://runbooks.example.com/y' }).expect(200);
    await move(t, keys.a6!, { to: 'open', reason: 'The gateway was cancelled' }).expect(200);
    await t.services.actions.patch(keys.a5!, patchActionBody.parse({ version: 0, owner: 'dave@example.com', team: 'db' }), SYSTEM_ACTOR);
    const kept = await answers(t.services);
    expect(kept).to.not.deep.equal(before);
    expect(kept[0]!.stats).to.include({ total: 8, open: 4, overdue: 2, unowned: 0, done: 3 });
    // Another process reads every action afresh.
    await inAnotherProcess(t, async (fresh) => {
      expect(kept).to.deep.equal(await answers(fresh));
    });
  });
});
