import { expect } from 'chai';
import { bounds, formatInstant, isInstantText, parseInstant, span } from '../../src/lib/time.js';

describe('instants', () => {
  const zone = 'Asia/Shanghai';

  it('reads a local time in the incident time zone and writes it back the same', () => {
    const i = parseInstant('2023-02-05T08:48', zone);
    expect(i).to.deep.equal({ at: new Date('2023-02-05T00:48:00Z'), precision: 'minute' });
    expect(formatInstant(i, zone)).to.equal('2023-02-05T08:48');
  });

  it('keeps a date as a day-precision instant at the start of that local day', () => {
    const i = parseInstant('2023-02-09', zone);
    expect(i).to.deep.equal({ at: new Date('2023-02-08T16:00:00Z'), precision: 'day' });
    expect(formatInstant(i, zone)).to.equal('2023-02-09');
    const { earliest, latest } = bounds(i, zone);
    expect(latest - earliest).to.equal(86_400_000 - 1);
  });

  it('accepts an instant with an offset and shows it in the incident zone', () => {
    expect(formatInstant(parseInstant('2023-02-05T00:48:00Z', zone), zone)).to.equal('2023-02-05T08:48');
    expect(formatInstant(parseInstant('2023-02-05T08:48:30+08:00', 'UTC'), 'UTC')).to.equal('2023-02-05T00:48:30');
  });

  it('refuses what is not a time', () => {
    for (const bad of ['yesterday', '2023-02-30', '2023-13-01T10:00', '2023-02-05 08:48', '']) expect(isInstantText(bad), bad).to.equal(false);
  });

  it('marks a span approximate when either end is known only to the day', () => {
    expect(span(parseInstant('2023-02-09', zone), parseInstant('2023-02-14T12:04', zone))).to.deep.equal({ minutes: 7924, approximate: true, iso: 'P5DT12H4M' });
    expect(span(parseInstant('2023-02-05T08:48', zone), parseInstant('2023-02-05T09:50', zone))).to.deep.equal({ minutes: 62, approximate: false, iso: 'PT1H2M' });
    expect(span(undefined, parseInstant('2023-02-05T09:50', zone))).to.equal(undefined);
  });

  it('counts across a daylight-saving change in real minutes', () => {
    const ny = 'America/New_York';
    expect(span(parseInstant('2024-03-10T01:00', ny), parseInstant('2024-03-10T04:00', ny))!.minutes).to.equal(120);
  });
});
