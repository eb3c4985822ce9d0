import { expect } from 'chai';
import { DateTime, IANAZone } from 'luxon';
import { bounds, datePlusDays, formatInstant, isDateText, isInstantText, isSkippedLocalTime, localDate, parseInstant, span, zoneNamed } from '../../src/lib/time.js';

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
    for (const bad of ['yesterday', '2023-02-30', '2023-13-01T10:00', '2023-02-05 08:48', '', '2023-01-01T24:00', '2023-01-01T10:00+99:00', '2023-01-01T10:00-99:00']) expect(isInstantText(bad), bad).to.equal(false);
  });

  it('checks dates and times as luxon does, day by day over leap and common years and at field limits (it is stricter only on 24:00 and offsets)', () => {
    const texts: string[] = [];
    for (const year of ['1900', '2000', '2023', '2024', '0000']) {
      for (let month = 0; month <= 13; month++) for (let day = 0; day <= 32; day++) texts.push(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
    }
    for (const time of ['00:00', '23:59', '23:60', '19:99', '12:00:59', '12:00:60', '12:00:00.5', '12:00:00.123', '12:00:00.1234']) {
      for (const zone of ['', 'Z', '+08:00', '-0530', '+23:59', '+14', '-12:00']) texts.push(`2024-02-29T${time}${zone}`);
    }
    for (const text of texts) {
      const luxon = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) && DateTime.fromISO(text, { setZone: true }).isValid;
      expect(isInstantText(text), text).to.equal(luxon);
      expect(isDateText(text), text).to.equal(luxon && text.length === 10);
    }
  });

  it('names local times the clocks skipped, a whole skipped day among them, and no other', () => {
    expect(isSkippedLocalTime('2024-03-10T02:30', 'America/New_York')).to.equal(true);
    expect(isSkippedLocalTime('2024-03-10T03:00', 'America/New_York')).to.equal(false);
    // The autumn hour that happens twice exists (once in each offset).
    expect(isSkippedLocalTime('2024-11-03T01:30', 'America/New_York')).to.equal(false);
    // Samoa went from 29 to 31 December 2011.
    expect(isSkippedLocalTime('2011-12-30T10:00', 'Pacific/Apia')).to.equal(true);
    expect(isSkippedLocalTime('2011-12-31T10:00', 'Pacific/Apia')).to.equal(false);
    expect(isSkippedLocalTime('2024-03-10T02:30-05:00', 'America/New_York'), 'an instant with an offset').to.equal(false);
    expect(isSkippedLocalTime('2024-03-10', 'America/New_York'), 'a date').to.equal(false);
  });

  it("gives luxon's local date every 17 minutes over days the clocks change, in zones with odd offsets too", () => {
    const days = [
      ['America/New_York', '2024-03-09T00:00Z'],
      ['America/New_York', '2024-11-02T00:00Z'],
      ['Australia/Lord_Howe', '2024-10-05T00:00Z'],
      ['Pacific/Apia', '2011-12-28T00:00Z'],
      ['Asia/Kolkata', '2024-01-01T00:00Z'],
      ['Asia/Shanghai', '1900-12-30T00:00Z'],
      ['Africa/Monrovia', '1972-01-05T00:00Z'],
      ['UTC', '2024-02-28T00:00Z'],
    ] as const;
    for (const [zone, start] of days) {
      for (let t = Date.parse(start); t < Date.parse(start) + 4 * 86_400_000; t += 17 * 60_000) {
        expect(localDate(zone, new Date(t)), `${zone} ${new Date(t).toISOString()}`).to.equal(DateTime.fromMillis(t, { zone }).toFormat('yyyy-MM-dd'));
      }
    }
  });

  it('counts whole calendar days on from a date, across month, year and leap-day ends', () => {
    expect(datePlusDays('2023-02-14', 28)).to.equal('2023-03-14');
    expect(datePlusDays('2024-02-14', 28)).to.equal('2024-03-13');
    expect(datePlusDays('2023-12-31', 1)).to.equal('2024-01-01');
    expect(datePlusDays('2024-03-01', -1)).to.equal('2024-02-29');
    expect(datePlusDays('0050-01-01', 90)).to.equal('0050-04-01');
    for (let day = 0; day < 800; day += 7) expect(datePlusDays('2023-01-01', day)).to.equal(DateTime.fromISO('2023-01-01', { zone: 'UTC' }).plus({ days: day }).toISODate());
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
