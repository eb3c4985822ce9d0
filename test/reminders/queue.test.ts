import { expect } from 'chai';
import { Types } from 'mongoose';
import { createTestContext, type TestContext } from '../support/context.js';
import { queued, type NotificationDoc } from '../../src/reminders/notifications.js';

const DAY = 86_400_000;

/**
 * The digests and notices read the queue of notifications not yet reported, never every notification
 * raised: a reported one leaves it, and is not queued again when a later run's look-back raises its key.
 */
describe('reminders: the queue of notifications not yet reported', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('reminders_queue', {}, { monitorCommands: true });
    t.clock.set('2026-12-01T02:00:00Z');
  });
  after(() => t.close());

  const reminder = (n: number) => ({ key: `reminder:INC-2026-0100-A${n}:overdue:2026-12-01:owner@example.com`, recipient: 'Owner@example.com', kind: 'overdue', actionKey: `INC-2026-0100-A${n}` });
  const pendingKeys = async () => ((await t.services.notifications.pending(t.clock.now(), 'digest')).get('owner@example.com') ?? []).map((n) => n.key);

  it('reports each reminder once: raised again after it was reported, it is not pending again', async () => {
    const { notifications } = t.services;
    expect(await notifications.addMany([reminder(1), reminder(2)])).to.equal(2);
    expect(await notifications.addMany([reminder(1)])).to.equal(0);
    expect(await pendingKeys()).to.deep.equal([reminder(1).key, reminder(2).key]);
    const [one] = (await notifications.pending(t.clock.now(), 'digest')).get('owner@example.com')!;
    await notifications.markReported([{ id: String(one!._id), key: 'digest:owner@example.com:2026-12-01' }], [one!]);
    expect(await pendingKeys()).to.deep.equal([reminder(2).key]);
    // The next day's look-back raises the first again: it was reported, so nothing is new and nothing pends.
    t.clock.advance(DAY);
    expect(await notifications.addMany([reminder(1), reminder(3)])).to.equal(1);
    expect(await pendingKeys()).to.deep.equal([reminder(2).key, reminder(3).key]);
    const report = await t.services.models.notificationReports.findById(String(one!._id)).lean();
    expect(report?.digestKey).to.equal('digest:owner@example.com:2026-12-01');
  });

  it("takes a notification off the queue when another worker's digest reported it, unseen by this run", async () => {
    const { notifications } = t.services;
    await notifications.addMany([reminder(5), reminder(6)]);
    const pending = (await notifications.pending(t.clock.now(), 'digest')).get('owner@example.com')!;
    const [five, six] = [reminder(5).key, reminder(6).key].map((k) => pending.find((n) => n.key === k)!) as [NotificationDoc, NotificationDoc];
    // Six was read by this run; five only reached it through another worker's stored message (its refs).
    await notifications.markReported([String(five._id), String(six._id)].map((id) => ({ id, key: 'digest:owner@example.com:2026-12-02' })), [six]);
    expect(await pendingKeys()).to.not.include(reminder(5).key);
    expect(await pendingKeys()).to.not.include(reminder(6).key);
  });

  it('keeps a reminder whose raise stopped after queueing it, and records it on the next raise', async () => {
    const { models, notifications } = t.services;
    const stopped: NotificationDoc = { ...reminder(4), recipient: 'owner@example.com', _id: new Types.ObjectId(), dueAt: t.clock.now(), createdAt: t.clock.now() };
    await models.notificationQueue.create(queued(stopped));
    expect(await pendingKeys()).to.include(stopped.key);
    expect(await notifications.addMany([reminder(4)])).to.equal(1);
    expect(await models.notifications.countDocuments({ key: stopped.key })).to.equal(1);
    expect((await pendingKeys()).filter((k) => k === stopped.key)).to.have.length(1);
  });

  it('reads only the queue for what is pending, not the notifications raised or the reports', async () => {
    const collections: string[] = [];
    const listener = (e: { commandName: string; command: Record<string, unknown> }) => {
      if (e.commandName === 'find') collections.push(String(e.command.find));
    };
    t.conn.getClient().on('commandStarted', listener);
    try {
      await t.services.notifications.pending(t.clock.now(), 'digest');
      await t.services.notifications.pending(t.clock.now(), 'prompt');
    } finally {
      t.conn.getClient().off('commandStarted', listener);
    }
    expect(collections).to.deep.equal(['notificationqueue', 'notificationqueue']);
  });
});
