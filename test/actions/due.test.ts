import { expect } from 'chai';
import { daysLate, doneOnTime, isOverdue, pastDue, slaDueDate, todayFor } from '../../src/actions/due.js';

const sla = { high: 28, medium: 56, low: 90 };
const shanghai = (dueDate: string, status = 'open') => ({ dueDate, status, timezone: 'Asia/Shanghai' });

describe('due: what overdue and an SLA date mean, in the action’s zone', () => {
  it('turns an action due 2026-03-01 in Shanghai overdue at midnight there (16:00 UTC), not at midnight UTC', () => {
    expect(isOverdue(shanghai('2026-03-01'), new Date('2026-03-01T15:59:59Z'))).to.equal(false);
    expect(isOverdue(shanghai('2026-03-01'), new Date('2026-03-01T16:00:00Z'))).to.equal(true);
    expect(isOverdue({ ...shanghai('2026-03-01'), timezone: 'UTC' }, new Date('2026-03-01T16:30:00Z'))).to.equal(false);
  });

  it('is never overdue once closed, nor without a due date', () => {
    for (const status of ['done', 'verified', 'wont_fix']) expect(isOverdue(shanghai('2026-03-01', status), new Date('2026-04-01T00:00:00Z'))).to.equal(false);
    expect(isOverdue({ status: 'open', timezone: 'UTC' }, new Date('2026-04-01T00:00:00Z'))).to.equal(false);
    expect(pastDue(undefined, '2026-04-01')).to.equal(false);
  });

  it('counts an SLA from the local day of a late-evening filing, not the UTC one', () => {
    // 23:30 in Shanghai on 2026-03-01 is 15:30 UTC the same day; 23:30 in New York is 04:30 UTC the next.
    expect(slaDueDate('high', new Date('2026-03-01T15:30:00Z'), 'Asia/Shanghai', sla)).to.equal('2026-03-29');
    expect(slaDueDate('medium', new Date('2026-03-02T04:30:00Z'), 'America/New_York', sla)).to.equal('2026-04-26');
    expect(slaDueDate('low', new Date('2026-03-02T04:30:00Z'), 'UTC', sla)).to.equal('2026-05-31');
  });

  it('counts days late across a change of the clocks as whole calendar days', () => {
    // New York springs forward on 2026-03-08.
    expect(daysLate('2026-03-07', '2026-03-09')).to.equal(2);
    expect(daysLate('2026-03-09', '2026-03-07')).to.equal(-2);
    expect(daysLate('2026-03-09', todayFor({ timezone: 'America/New_York' }, new Date('2026-03-09T04:30:00Z')))).to.equal(0);
  });

  it('calls done on time up to the end of the due day in the action’s zone', () => {
    expect(doneOnTime('2026-03-01', new Date('2026-03-01T15:59:00Z'), 'Asia/Shanghai')).to.equal(true);
    expect(doneOnTime('2026-03-01', new Date('2026-03-01T16:01:00Z'), 'Asia/Shanghai')).to.equal(false);
    expect(doneOnTime(undefined, new Date('2026-03-01T00:00:00Z'), 'UTC')).to.equal(false);
  });
});
