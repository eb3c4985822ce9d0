import { expect } from 'chai';
import { Schema, Types, type Model } from 'mongoose';
import { deleteByIds, findByIds } from '../../src/lib/db.js';
import { commandsDuring } from '../support/commands.js';
import { createTestContext, type TestContext } from '../support/context.js';

/**
 * Records read and deleted by a list of `_id` values (a digest run takes thousands of reported
 * notifications off the queue at once): each command lists at most 500, and the embedded store narrows
 * it to those rows by its `_id` index (scripts/ferretdb/sqlite-id-list.patch) without changing which match.
 */
describe('records by a list of _id values', () => {
  let t: TestContext;
  let byKey: Model<any>;
  let byObjectId: Model<any>;
  const oids = Array.from({ length: 30 }, () => new Types.ObjectId());
  before(async () => {
    t = await createTestContext('db_id_lists', {}, { monitorCommands: true });
    byKey = t.conn.model('IdListByKey', new Schema({ _id: String, n: Number }, { versionKey: false }), 'idlist_keys');
    byObjectId = t.conn.model('IdListByObjectId', new Schema({ _id: Schema.Types.ObjectId, n: Number }, { versionKey: false }), 'idlist_oids');
    await byKey.collection.insertMany(Array.from({ length: 1200 }, (_, n) => ({ _id: `key:${n}`, n })) as never[]);
    await byObjectId.collection.insertMany(oids.map((_id, n) => ({ _id, n })) as never[]);
  });
  after(() => t.close());

  it('finds exactly the listed records, 500 to a command, leaving out ids that name none', async () => {
    const wanted = Array.from({ length: 1100 }, (_, i) => `key:${i * 2}`);
    let found: { _id: string; n: number }[] = [];
    const commands = await commandsDuring(t.conn, async () => (found = await findByIds(byKey, wanted)));
    // key:0 … key:1198 exist; key:1200 … key:2198 do not.
    expect(found.map((d) => d.n).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 600 }, (_, i) => i * 2));
    expect(commands.filter((c) => c.name === 'find').map((c) => (c.filter!._id as { $in: unknown[] }).$in.length)).to.deep.equal([500, 500, 100]);
    expect(await findByIds(byKey, [])).to.deep.equal([]);
  });

  it('reads ObjectId keys and only the fields asked for', async () => {
    const found = await findByIds<{ _id: Types.ObjectId; n?: number }>(byObjectId, [oids[3], oids[7], new Types.ObjectId()], '_id');
    expect(found.map((d) => String(d._id)).sort()).to.deep.equal([String(oids[3]), String(oids[7])].sort());
    expect(found.every((d) => d.n === undefined)).to.equal(true);
  });

  it('deletes exactly the listed records and says how many went', async () => {
    const listed = [...Array.from({ length: 700 }, (_, n) => `key:${n}`), 'key:none'];
    expect(await deleteByIds(byKey, listed)).to.equal(700);
    const left = await byKey.find({}).lean();
    expect(left.map((d) => d.n).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 500 }, (_, i) => 700 + i));
    expect(await deleteByIds(byKey, [])).to.equal(0);
  });
});
