import { expect } from 'chai';
import type { ActionDoc } from '../../src/actions/model.js';
import { ACTION_BLOCK, columnsOf, factsOf, holds } from '../../src/reports/action-facts.js';
import type { ActionFacts, Range } from '../../src/reports/period.js';
import { actionCounts, STATE_KEYS_NAMED } from '../../src/reports/compute.js';

/**
 * What a period report says of one action whose history changed its status, owner and due date: each
 * count as of a moment follows what the action was then, not what it is today.
 */
const at = (text: string) => new Date(text).getTime();
const change = (field: string, from: unknown, to: unknown, when: string) => ({ field, from, to, at: new Date(when) });

function action(fields: { status?: string; owner?: string; dueDate?: string; history: ReturnType<typeof change>[] }): ActionDoc {
  return {
    key: 'INC-2026-0001-A1',
    title: 'add a disk alert',
    status: 'open',
    owner: 'li@example.com',
    dueDate: '2026-03-10',
    timezone: 'Asia/Shanghai',
    createdAt: new Date('2026-03-01T02:00:00Z'),
    slaFrom: new Date('2026-03-01T02:00:00Z'),
    ...fields,
  } as unknown as ActionDoc;
}

/** The counts of the days [from, to) (UTC midnights), as of `now`. */
const counts = (a: ActionDoc, from: string, to: string, now = '2027-01-01T00:00:00Z') =>
  actionCounts(columnsOf([factsOf(a)]), { start: at(`${from}T00:00:00Z`), end: at(`${to}T00:00:00Z`) }, at(now));

describe('action counts from an action history', () => {
  const reopened = action({
    status: 'done',
    history: [
      change('status', 'open', 'done', '2026-03-05T03:00:00Z'),
      change('status', 'done', 'open', '2026-03-12T03:00:00Z'),
      change('status', 'open', 'done', '2026-03-20T03:00:00Z'),
    ],
  });

  it('is open only between its opening and a closing, and again while it was reopened', () => {
    expect(counts(reopened, '2026-03-01', '2026-03-03').open.keys).to.deep.equal(['INC-2026-0001-A1']);
    expect(counts(reopened, '2026-03-06', '2026-03-08').open.keys).to.deep.equal([]);
    expect(counts(reopened, '2026-03-13', '2026-03-15').open.keys).to.deep.equal(['INC-2026-0001-A1']);
    expect(counts(reopened, '2026-03-21', '2026-03-23').open.keys).to.deep.equal([]);
    // Before it was filed there is nothing to count.
    expect(counts(reopened, '2026-02-01', '2026-02-10')).to.deep.include({ open: { count: 0, keys: [] }, opened: [] });
  });

  it('counts a closing in the range once, and as within its SLA only when done by the due date then', () => {
    const both = counts(reopened, '2026-03-01', '2026-03-31');
    expect(both.closed).to.deep.equal(['INC-2026-0001-A1']);
    // Done on 03-05 (due 03-10) is within the SLA; done again on 03-20 is not.
    expect(both.closedWithinSla).to.deep.equal(['INC-2026-0001-A1']);
    expect(counts(reopened, '2026-03-15', '2026-03-31')).to.deep.include({ closed: ['INC-2026-0001-A1'], closedWithinSla: [] });
  });

  it('is overdue from the day after the due date it had then, in its zone', () => {
    const extended = action({ dueDate: '2026-03-20', history: [change('dueDate', '2026-03-10', '2026-03-20', '2026-03-12T05:00:00Z')] });
    // Due 03-10 in Shanghai: overdue from 03-11 00:00 there, 03-10T16:00Z.
    expect(counts(extended, '2026-03-10', '2026-03-12', '2026-03-10T16:00:00Z').overdue.keys).to.deep.equal([]);
    expect(counts(extended, '2026-03-10', '2026-03-12', '2026-03-10T16:00:00.002Z').overdue.keys).to.deep.equal(['INC-2026-0001-A1']);
    // The new date was set on 03-12: not overdue again until 03-21 in Shanghai.
    expect(counts(extended, '2026-03-12', '2026-03-13').overdue.keys).to.deep.equal([]);
    expect(counts(extended, '2026-03-21', '2026-03-22').overdue.keys).to.deep.equal(['INC-2026-0001-A1']);
  });

  it('is unowned while it had no owner, and only while open', () => {
    const handed = action({
      owner: 'wang@example.com',
      status: 'done',
      history: [
        change('owner', null, 'li@example.com', '2026-03-03T00:00:00Z'),
        change('owner', 'li@example.com', null, '2026-03-06T00:00:00Z'),
        change('owner', null, 'wang@example.com', '2026-03-08T00:00:00Z'),
        change('status', 'open', 'done', '2026-03-09T00:00:00Z'),
      ],
    });
    expect(counts(handed, '2026-03-01', '2026-03-02').unowned.keys).to.deep.equal(['INC-2026-0001-A1']);
    expect(counts(handed, '2026-03-04', '2026-03-05').unowned.keys).to.deep.equal([]);
    expect(counts(handed, '2026-03-06', '2026-03-07').unowned.keys).to.deep.equal(['INC-2026-0001-A1']);
    expect(counts(handed, '2026-03-08', '2026-03-09').unowned.keys).to.deep.equal([]);
    expect(counts(handed, '2026-03-10', '2026-03-11')).to.deep.include({ open: { count: 0, keys: [] }, unowned: { count: 0, keys: [] } });
  });

  it('names each verification in the range with the action title', () => {
    const verified = action({
      status: 'verified',
      history: [change('status', 'open', 'done', '2026-03-05T00:00:00Z'), change('status', 'done', 'verified', '2026-03-09T00:00:00Z')],
    });
    expect(counts(verified, '2026-03-08', '2026-03-10')).to.deep.include({ closed: [], verified: [{ key: 'INC-2026-0001-A1', title: 'add a disk alert' }] });
    expect(counts(verified, '2026-03-01', '2026-03-06')).to.deep.include({ closed: ['INC-2026-0001-A1'], verified: [] });
  });

  it('counts every open and unowned action but names only the first ones in report order', () => {
    const many = Array.from({ length: STATE_KEYS_NAMED + 50 }, (_, i) => ({ ...action({ owner: i % 2 ? undefined : 'li@example.com', history: [] }), key: `INC-2026-0001-A${i + 1}` }) as ActionDoc);
    const got = actionCounts(columnsOf(many.map(factsOf)), { start: at('2026-03-02T00:00:00Z'), end: at('2026-03-03T00:00:00Z') }, at('2027-01-01T00:00:00Z'));
    expect(got.open.count).to.equal(STATE_KEYS_NAMED + 50);
    expect(got.open.keys).to.deep.equal(many.slice(0, STATE_KEYS_NAMED).map((a) => a.key));
    expect(got.unowned.count).to.equal((STATE_KEYS_NAMED + 50) / 2);
    expect(got.unowned.keys).to.deep.equal(many.filter((_, i) => i % 2).slice(0, STATE_KEYS_NAMED).map((a) => a.key));
    expect(got.overdue).to.deep.equal({ count: 0, keys: [] });
  });
});

describe('action counts over many blocks of actions', () => {
  // A small generator with a fixed seed: the same actions every run.
  let seed = 11;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const day = (n: number) => new Date(Date.UTC(2026, 2, 1) + n * 86_400_000 + Math.floor(next() * 86_400_000)).toISOString();
  const date = (n: number) => new Date(Date.UTC(2026, 2, 1) + n * 86_400_000).toISOString().slice(0, 10);
  // Runs of blocks open all along, closed early, and of every kind of history mixed.
  const kinds = ['open', 'closed', 'mixed', 'open', 'mixed'];
  const many = Array.from({ length: kinds.length * ACTION_BLOCK + 37 }, (_, i): ActionDoc => {
    const kind = kinds[Math.floor(i / ACTION_BLOCK)] ?? 'mixed';
    const key = `INC-2026-${String(i + 1).padStart(4, '0')}-A1`;
    if (kind === 'open') return { ...action({ dueDate: '2027-06-01', history: [] }), key };
    if (kind === 'closed') return { ...action({ status: 'done', history: [change('status', 'open', 'done', day(2))] }), key };
    const history: ReturnType<typeof change>[] = [];
    let status = 'open';
    let owner: string | undefined = 'li@example.com';
    let due = date(5 + Math.floor(next() * 10));
    for (let d = 1; d < 40; d += 1 + Math.floor(next() * 8)) {
      const r = next();
      if (r < 0.4) {
        const to = status === 'open' ? (next() < 0.8 ? 'done' : 'wont_fix') : status === 'done' && next() < 0.5 ? 'verified' : 'open';
        history.push(change('status', status, to, day(d)));
        status = to;
      } else if (r < 0.7) {
        const to: string | undefined = owner ? undefined : 'wang@example.com';
        history.push(change('owner', owner, to, day(d)));
        owner = to;
      } else {
        const to = date(d + Math.floor(next() * 10));
        history.push(change('dueDate', due, to, day(d)));
        due = to;
      }
    }
    return { ...action({ status, owner, dueDate: due, history }), key };
  });
  const facts = many.map(factsOf);
  const columns = columnsOf(facts);

  // The definition, action by action from its facts.
  const byDefinition = (list: ActionFacts[], range: Range, now: number) => {
    const asOf = Math.min(range.end, now) - 1;
    const inRange = (t: number) => t >= range.start && t < range.end;
    const named = (holding: ActionFacts[]) => ({ count: holding.length, keys: holding.slice(0, STATE_KEYS_NAMED).map((f) => f.key) });
    return {
      opened: list.filter((f) => inRange(f.opened)).map((f) => f.key),
      closed: list.filter((f) => f.closings.some(inRange)).map((f) => f.key),
      closedWithinSla: list.filter((f) => f.doneOnTime.some(inRange)).map((f) => f.key),
      verified: list.flatMap((f) => f.verified.filter(inRange).map(() => ({ key: f.key, title: f.title }))),
      open: named(list.filter((f) => holds(f.open, asOf))),
      overdue: named(list.filter((f) => holds(f.overdue, asOf))),
      unowned: named(list.filter((f) => holds(f.unowned, asOf))),
    };
  };

  it("gives every range what each action's facts give, now after, inside and before it", () => {
    const ranges = [0, 3, 9, 20, 33, 60].flatMap((from) => [1, 7, 30].map((days) => ({ start: at(`${date(from)}T00:00:00Z`), end: at(`${date(from + days)}T00:00:00Z`) })));
    let counted = 0;
    for (const range of ranges) {
      for (const now of [range.end + 86_400_000, (range.start + range.end) / 2, range.start - 1]) {
        const expected = byDefinition(facts, range, now);
        expect(actionCounts(columns, range, now)).to.deep.equal(expected);
        counted += expected.open.count + expected.closed.length;
      }
    }
    // Something to count, in every kind of block.
    expect(counted).to.be.above(1000);
    expect(byDefinition(facts, ranges[4]!, ranges[4]!.end).unowned.count).to.be.above(0);
  });
});
