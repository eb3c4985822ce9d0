import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { addAction, fileIncident } from './helpers.js';

describe("due dates in the owner's time zone", () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('actions_owner_zone');
    await t.services.users.create({ email: 'ny@example.com', name: 'NY', role: 'editor', timezone: 'America/New_York' }, SYSTEM_ACTOR);
  });
  after(() => t.close());

  it('reads a due date in the owner’s zone once the owner is a known person, and in the incident’s otherwise', async () => {
    const key = await fileIncident(t, { timezone: 'Asia/Shanghai' });
    const known = await addAction(t, key, { owner: 'ny@example.com', dueDate: '2026-12-01' });
    const stranger = await addAction(t, key, { owner: 'someone@elsewhere.com', dueDate: '2026-12-01' });
    // 2026-12-02 02:00 in Shanghai is still 2026-12-01 13:00 in New York.
    t.clock.set('2026-12-01T18:00:00Z');
    const view = async (k: string) => (await t.api.get(`/api/v1/actions/${k}`).expect(200)).body;
    expect(await view(known.key)).to.include({ timezone: 'America/New_York', overdue: false });
    expect(await view(stranger.key)).to.include({ timezone: 'Asia/Shanghai', overdue: true });
    t.clock.set('2026-12-02T05:00:00Z');
    expect((await view(known.key)).overdue).to.equal(true);
  });

  it('moves the zone with the owner when an action changes hands', async () => {
    const key = await fileIncident(t, { timezone: 'Asia/Shanghai' });
    const action = await addAction(t, key, { dueDate: '2027-01-10' });
    const res = await t.api.patch(`/api/v1/actions/${action.key}`).send({ version: action.version, owner: 'ny@example.com' }).expect(200);
    expect(res.body.timezone).to.equal('America/New_York');
    const back = await t.api.patch(`/api/v1/actions/${action.key}`).send({ version: res.body.version, owner: null }).expect(200);
    expect(back.body.timezone).to.equal('Asia/Shanghai');
  });

  it('counts a new action’s SLA date in the zone its overdue is read in, and a priority change agrees', async () => {
    const key = await fileIncident(t, { timezone: 'Asia/Shanghai' });
    // 2026-12-02 04:00 in Shanghai, still 2026-12-01 in New York: the owner's day is the one counted.
    t.clock.set('2026-12-01T20:00:00Z');
    const action = await addAction(t, key, { owner: 'ny@example.com', priority: 'high' });
    expect(action.dueDate).to.equal('2026-12-29');
    const medium = await t.api.patch(`/api/v1/actions/${action.key}`).send({ version: action.version, priority: 'medium' }).expect(200);
    expect(medium.body.dueDate).to.equal('2027-01-26');
    const high = await t.api.patch(`/api/v1/actions/${action.key}`).send({ version: medium.body.version, priority: 'high' }).expect(200);
    expect(high.body.dueDate).to.equal(action.dueDate);
    // Overdue from midnight after 2026-12-29 in New York (05:00 UTC on the 30th), not Shanghai's midnight.
    t.clock.set('2026-12-30T04:00:00Z');
    expect((await t.api.get(`/api/v1/actions/${action.key}`).expect(200)).body.overdue).to.equal(false);
    t.clock.set('2026-12-30T05:30:00Z');
    expect((await t.api.get(`/api/v1/actions/${action.key}`).expect(200)).body.overdue).to.equal(true);
  });
});
