import { expect } from 'chai';
import { DateTime } from 'luxon';
import { parseWeeklyReports, type Proposal } from '../../src/imports/parse.js';
import { CORPUS_LEVELS, writeReport, type WrittenEntry } from './corpus.js';

// The team's IMPORT_LEVELS: the corpus writes P1级, 一级 and 二级 as well as the letters.
const options = { timezone: 'Asia/Shanghai', severityLevels: ['A', 'B', 'C', 'D', 'E'], levels: CORPUS_LEVELS, today: new Date('2026-11-25T02:00:00Z') };
const REPORTS = 60;

/** Each field the generator wrote, and whether the import recovered it exactly. */
const FIELDS: Record<string, (w: WrittenEntry, p: Proposal) => boolean> = {
  window: (w, p) => JSON.stringify(p.incident.window) === JSON.stringify(w.window),
  severity: (w, p) => p.incident.severity === w.severity,
  title: (w, p) => p.incident.title === w.title,
  cause: (w, p) => JSON.stringify(p.incident.cause?.rootCauses) === JSON.stringify([w.cause]),
  remediation: (w, p) => p.incident.remediation?.summary === w.remediation,
  errorRatio: (w, p) => {
    const got = p.incident.impact?.errorRatios?.map(({ totalRows, errorRows, stated }) => ({ totalRows, errorRows, ...(stated ? { stated } : {}) }));
    return JSON.stringify(got ?? []) === JSON.stringify(w.errorRatio ? [w.errorRatio] : []);
  },
  actions: (w, p) => JSON.stringify(p.incident.actions?.map((a) => a.title) ?? []) === JSON.stringify(w.actions),
};

describe('weekly report import on a generated corpus', () => {
  // 60 weekly reports from the first week of 2023 (a January report speaks of December 2022).
  const written = Array.from({ length: REPORTS }, (_, i) => writeReport(20230106 + i, (i % 52) + 1, DateTime.utc(2023, 1, 6).plus({ weeks: i })));
  const parsed = written.map((w) => parseWeeklyReports(w.text, options));

  it(`recovers every window, severity, ratio and action list of ${REPORTS} reports field by field`, () => {
    const entries = written.reduce((n, w) => n + w.entries.length, 0);
    expect(entries).to.be.at.least(200);
    const recovered = Object.fromEntries(Object.keys(FIELDS).map((f) => [f, 0]));
    const misses: string[] = [];
    written.forEach((report, r) => {
      const proposals = parsed[r]!.proposals;
      expect(proposals.map((p) => p.line), `report ${r}`).to.deep.equal(report.entries.map((e) => e.line));
      report.entries.forEach((w, i) => {
        for (const [field, same] of Object.entries(FIELDS)) {
          if (same(w, proposals[i]!)) recovered[field]!++;
          else misses.push(`report ${r} line ${w.line} ${field}: ${report.text.split('\n')[w.line - 1]}`);
        }
      });
    });
    console.log(`      corpus: ${REPORTS} reports, ${entries} entries; recovered ${Object.entries(recovered).map(([f, n]) => `${f} ${((100 * n) / entries).toFixed(1)}%`).join(', ')}`);
    expect(misses.slice(0, 10)).to.deep.equal([]);
  });

  it('files no heading or outline item as an action, and warns where a stated percentage disagrees', () => {
    written.forEach((report, r) => {
      const actions = parsed[r]!.proposals.flatMap((p) => p.incident.actions ?? []).map((a) => `${a.title} ${a.description ?? ''}`);
      for (const item of report.outline) expect(actions.filter((a) => a.includes(item.replace(/^[#\d.\s]+/, '').replace(/[:：]$/, ''))), item).to.deep.equal([]);
      report.entries.forEach((w, i) => {
        const said = parsed[r]!.proposals[i]!.warnings.filter((n) => n.said.id === 'import.statedRatio');
        expect(said.length, `report ${r} line ${w.line}`).to.equal(w.misstated ? 1 : 0);
      });
    });
  });

  it('skips no entry and no line without a warning naming its line', () => {
    let refused = 0;
    written.forEach((report, r) => {
      const { proposals, warnings } = parsed[r]!;
      for (const line of report.refused) {
        refused++;
        expect(warnings.map((w) => w.line), `report ${r}`).to.include(line);
      }
      for (const [i, w] of report.entries.entries()) {
        const p = proposals[i]!;
        if (w.strayLine) expect(p.warnings.filter((n) => n.said.id === 'import.notPlaced').map((n) => n.line)).to.deep.equal([w.strayLine]);
        // Every non-blank line filled a field or is in a warning.
        for (const read of p.reading) if (!read.fields.length) expect(p.warnings.map((n) => n.line), `report ${r} line ${read.line}`).to.include(read.line);
        expect(report.text).to.include(p.incident.source!.text);
      }
    });
    expect(refused).to.be.greaterThan(0);
  });
});
