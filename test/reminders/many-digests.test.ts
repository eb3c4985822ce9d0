import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { createIncidentBody } from '../../src/incidents/schemas.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

/**
 * A run with more digests than one part (DIGESTS_PER_PART: composed, then stored while the next part
 * is composed): every recipient gets one digest, a second run writes none, and nothing stays queued.
 */
describe('reminders: a run of many digests', function () {
  this.timeout(120_000);
  let t: TestContext;
  const owners = Array.from({ length: 230 }, (_, i) => `owner${i}@example.com`);
  before(async () => {
    t = await createTestContext('reminders_many_digests');
    t.clock.set('2026-12-01T00:00:00Z');
    const decrypt = fixture('decrypt-failure');
    // 230 owners, each owing one action due today (12-01), over three incidents (100 actions at most each).
    for (let i = 0; i < owners.length; i += 100) {
      const actions = owners.slice(i, i + 100).map((owner) => ({ ...decrypt.actions[0], title: `fix for ${owner}`, owner, dueDate: '2026-12-01' }));
      await t.services.incidents.create(createIncidentBody.parse({ ...decrypt, owner: 'lead@example.com', actions }), SYSTEM_ACTOR);
    }
  });
  after(() => t.close());

  const digestsTo = async () => (await t.services.models.outbox.find({ kind: 'digest' }).lean()).map((m) => m.to).sort();

  it('writes one digest to each of the 230 owners, once, and leaves no reminder of theirs queued', async () => {
    const { reminders, notifications } = t.services;
    // 10:00 in Shanghai, after the default DIGEST_HOUR (9).
    t.clock.set('2026-12-01T02:00:00Z');
    expect((await reminders.raiseDue()).raised).to.be.at.least(owners.length);
    expect(await reminders.sendDigests()).to.deep.equal({ digests: owners.length });
    expect(await digestsTo()).to.deep.equal([...owners].sort());
    const stillQueued = [...(await notifications.pending(t.clock.now(), 'digest')).keys()].filter((r) => owners.includes(r));
    expect(stillQueued).to.deep.equal([]);

    t.clock.set('2026-12-01T03:00:00Z');
    expect(await reminders.sendDigests()).to.deep.equal({ digests: 0 });
    expect(await digestsTo()).to.have.length(owners.length);
  });
});
