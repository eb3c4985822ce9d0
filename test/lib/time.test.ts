import { expect } from 'chai';
import { DateTime, IANAZone } from 'luxon';
import { bounds, formatInstant, isInstantText, parseInstant, span, zoneNamed } from '../../src/lib/time.js';

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

describe('zones by name', () => {
  // Offsets are kept per hour: around every kind of change (a spring gap, an autumn overlap, a
  // half-hour change, changes at half past a UTC hour, a 1940s change in Shanghai, a zone that left
  // DST) each minute must still get luxon's own answer, asked in an order that fills the kept hours first.
  const changes: [string, string][] = [
    ['America/New_York', '2024-03-10T07:00:00Z'],
    ['America/New_York', '2024-11-03T06:00:00Z'],
    ['Australia/Lord_Howe', '2024-10-05T15:30:00Z'],
    ['Australia/Adelaide', '2024-04-06T16:30:00Z'],
    ['Asia/Shanghai', '1940-05-31T16:00:00Z'],
    ['Europe/Moscow', '2014-10-25T22:00:00Z'],
  ];
  for (const [name, at] of changes) {
    it(`gives luxon's offsets minute by minute around ${at} in ${name}`, () => {
      const zone = zoneNamed(name);
      const plain = IANAZone.create(name);
      const change = Date.parse(at);
      const minutes = Array.from({ length: 6 * 60 }, (_, i) => change - 3 * 3_600_000 + i * 60_000);
      const asked = [...minutes.filter((_, i) => i % 2), ...minutes];
      for (const ts of asked) expect(zone.offset(ts), new Date(ts).toISOString()).to.equal(plain.offset(ts));
      expect(new Set(minutes.map((ts) => zone.offset(ts))).size, 'the offset changes in this window').to.equal(2);
    });
  }

  it('shows local times in a named zone as luxon does, and leaves UTC and offsets to luxon', () => {
    const at = Date.parse('2024-03-10T06:59:00Z');
    expect(DateTime.fromMillis(at, { zone: zoneNamed('America/New_York') }).toISO()).to.equal('2024-03-10T01:59:00.000-05:00');
    expect(DateTime.fromMillis(at + 60_000, { zone: zoneNamed('America/New_York') }).toISO()).to.equal('2024-03-10T03:00:00.000-04:00');
    expect(zoneNamed('UTC').type).to.equal('fixed');
    expect(zoneNamed('UTC+8').offset(at)).to.equal(480);
    expect(zoneNamed('Not/AZone').isValid).to.equal(false);
  });
});
