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
});
