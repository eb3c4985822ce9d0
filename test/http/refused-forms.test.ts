import { expect } from 'chai';
import { ManualClock } from '../../src/lib/clock.js';
import { RefusedForms } from '../../src/http/refused-forms.js';

describe('RefusedForms: kept refused pages', () => {
  it('shows a page only to its owner, and not after an hour', () => {
    const clock = new ManualClock('2026-11-25T08:00:00Z');
    const forms = new RefusedForms(clock);
    const token = forms.keep('u1', 422, '<p>typed</p>');
    expect(forms.find('u1', token)).to.deep.include({ status: 422, html: '<p>typed</p>' });
    expect(forms.find('u2', token)).to.equal(undefined);
    clock.advance(59 * 60_000);
    expect(forms.find('u1', token)).to.not.equal(undefined);
    clock.advance(60_000);
    expect(forms.find('u1', token)).to.equal(undefined);
  });

  it('drops the oldest pages past its byte budget, never the newest', () => {
    const forms = new RefusedForms(new ManualClock('2026-11-25T08:00:00Z'), 10);
    const first = forms.keep('u1', 400, 'aaaaaa');
    const second = forms.keep('u1', 400, 'bbbbbb');
    expect(forms.find('u1', first)).to.equal(undefined);
    expect(forms.find('u1', second)?.html).to.equal('bbbbbb');
    const big = forms.keep('u1', 400, 'c'.repeat(50));
    expect(forms.find('u1', big)?.html).to.have.length(50);
  });
});
