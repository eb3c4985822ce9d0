import { expect } from 'chai';
import { formatDuration, formatList, formatNumber, formatPercent, formatTime, formatTimeRange } from '../../src/documents/format.js';

const zone = 'Asia/Shanghai';
const at = (iso: string, precision: 'minute' | 'day' = 'minute') => ({ at: iso, precision });

describe('document formatting', () => {
  it('shows instants in the incident zone, in the seed short style and in full with the zone', () => {
    expect(formatTime(at('2023-02-14T04:04:00.000Z'), 'short', zone)).to.equal('2/14 12:04');
    expect(formatTime(at('2023-02-14T04:04:00.000Z'), 'full', zone)).to.equal('2023-02-14 12:04 CST');
    expect(formatTime(at('2023-02-14T17:04:00.000Z'), 'full', 'America/New_York')).to.equal('2023-02-14 12:04 EST');
  });

  it('shows a time known only to the day as a date, in every style', () => {
    const day = at('2023-02-08T16:00:00.000Z', 'day');
    expect(formatTime(day, 'full', zone)).to.equal('2023-02-09');
    expect(formatTime(day, 'short', zone)).to.equal('2/9');
    expect(formatTime('2023-03-15', 'full', zone)).to.equal('2023-03-15');
  });

  it('writes ranges as the seed does', () => {
    expect(formatTimeRange(at('2023-02-05T00:48:00.000Z'), at('2023-02-05T01:50:00.000Z'), zone)).to.equal('2/5 8:48~9:50');
    expect(formatTimeRange(at('2023-02-14T13:45:00.000Z'), at('2023-02-15T07:00:00.000Z'), zone)).to.equal('2/14 21:45~2/15 15:00');
  });

  it('writes durations in the locale and marks approximate ones', () => {
    expect(formatDuration({ minutes: 62, approximate: false }, 'en')).to.equal('1 h 2 min');
    expect(formatDuration({ minutes: 62, approximate: false }, 'zh-CN')).to.equal('1 小时 2 分钟');
    expect(formatDuration({ minutes: 5 * 1440 + 12 * 60 + 4, approximate: true }, 'en')).to.equal('about 5 d 12 h 4 min');
    expect(formatDuration({ minutes: 6 * 1440 + 15 * 60, approximate: true }, 'zh-CN')).to.equal('约 6 天 15 小时');
    expect(formatDuration({ minutes: 0, approximate: false }, 'en')).to.equal('0 min');
  });

  it('rounds percentages (0.410%, where the seed truncated to 0.409%) and groups numbers', () => {
    expect(formatPercent(6131 / 1496160, 3, 'zh-CN')).to.equal('0.410%');
    expect(formatPercent(0.5, 0, 'en')).to.equal('50%');
    expect(formatNumber(1496160, 'en')).to.equal('1,496,160');
    expect(formatList(['a', 'b', 'c'], 'en')).to.equal('a, b, and c');
    expect(formatList(['研发', 'SRE', '安全'], 'zh-CN')).to.equal('研发、SRE和安全');
  });
});
