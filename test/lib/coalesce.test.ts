import { expect } from 'chai';
import { coalesced } from '../../src/lib/coalesce.js';

/** A catch-up that counts its runs and finishes when told, so a test decides what overlaps. */
function controlled() {
  const runs: { finish: (n: number) => void }[] = [];
  const run = () => new Promise<number>((resolve) => runs.push({ finish: resolve }));
  return { runs, catchUp: coalesced(run) };
}

describe('coalesced catch-ups', () => {
  it('lets callers who arrived before a catch-up started join it, and reuse it once it is over', async () => {
    const { runs, catchUp } = controlled();
    const arrived = performance.now();
    const first = catchUp(arrived);
    const joined = catchUp(arrived);
    expect(runs).to.have.length(1);
    runs[0]!.finish(7);
    expect(await first).to.equal(7);
    expect(await joined).to.equal(7);
    // Finished, and it started after this caller's moment: nothing to read again.
    expect(await catchUp(arrived)).to.equal(7);
    expect(runs).to.have.length(1);
  });

  it('makes a caller whose moment is later than the running catch-up wait for the next one, shared by all such callers', async () => {
    const { runs, catchUp } = controlled();
    const first = catchUp();
    const later = performance.now() + 1;
    const a = catchUp(later);
    const b = catchUp();
    expect(runs).to.have.length(1);
    runs[0]!.finish(1);
    expect(await first).to.equal(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).to.have.length(2);
    runs[1]!.finish(2);
    expect([await a, await b]).to.deep.equal([2, 2]);
  });

  it('always reads again for a caller with no moment of its own once the last catch-up is over', async () => {
    const { runs, catchUp } = controlled();
    const first = catchUp();
    runs[0]!.finish(1);
    await first;
    const again = catchUp();
    expect(runs).to.have.length(2);
    runs[1]!.finish(2);
    expect(await again).to.equal(2);
  });
});
