import { DateTime } from 'luxon';

/**
 * The grammar of dates and times in weekly reports. Tokens:
 *   date  := YYYY (-|/|.|年) M (-|/|.|月) D [日]  |  M (/|月) D [日|号]          2023-02-05, 2023/2/5, 2/5, 02/05, 2月5日
 *   time  := [上午|下午|晚上…] H (:|：) MM  |  H (点|时) [MM [分] | 半]        8:48, 09:50, 9：50, 9点50分, 下午3点
 *   sep   := ~ ～ 〜 - – — －（repeated） 至 到
 *   when  := date [time] [sep ([date] [time])]                              a second date may follow (5月17日 21:30～5月18日 02:10)
 * A time without a date after `sep` is on the start's day, or the next day when it is earlier (23:40~0:25).
 * Local wall-clock times only: the zone is applied when the incident is filed.
 */
export interface LocalTime {
  /** Wall-clock time, held in UTC so arithmetic never meets a DST gap. */
  at: DateTime;
  precision: 'minute' | 'day';
}

const DATE = String.raw`(?:(?<y>\d{4})\s*[-/.年]\s*(?<ym>\d{1,2})\s*[-/.月]\s*(?<yd>\d{1,2})(?!\d)\s*日?|(?<m>\d{1,2})\s*(?:/|月)\s*(?<d>\d{1,2})(?!\d)\s*[日号]?)`;
const PERIOD = '上午|早上|早晨|凌晨|中午|下午|傍晚|晚上|夜里|夜间|晚';
const TIME = String.raw`(?:(?<ap>${PERIOD})\s*)?(?<h>\d{1,2})\s*(?:[:：]\s*(?<mi>\d{2})(?!\d)|[点时]\s*(?:(?<hm>\d{1,2})(?!\d)\s*分?|(?<half>半))?)`;
const SEP = String.raw`\s*(?:[~～〜\-–—－]+|至|到)\s*`;

const DATE_AT = new RegExp(DATE, 'y');
const TIME_AT = new RegExp(TIME, 'y');
const SEP_AT = new RegExp(SEP, 'y');
const SPACE_AT = /\s*/y;
/** A date or time with the words before it, anywhere in a paragraph. */
const MENTION = new RegExp(String.raw`(?:${DATE}\s*)?${TIME}`, 'g');
const DATE_ANYWHERE = new RegExp(DATE, 'g');

type Groups = Record<string, string | undefined>;

/** A month and day with its year worked out from the report's date. */
export function dayOf(month: number, day: number, reportDate: DateTime): DateTime | undefined {
  const at = (year: number) => DateTime.utc(year, month, day);
  const same = at(reportDate.year);
  if (!same.isValid) return undefined;
  // A report in early January speaks of late December: a date well after the report is last year's.
  return same > reportDate.plus({ days: 60 }) ? at(reportDate.year - 1) : same;
}

/** The day a matched `date` names; undefined when it is no day (2/30). */
function dateOf(g: Groups, reportDate: DateTime): DateTime | undefined {
  if (g.y) {
    const at = DateTime.utc(Number(g.y), Number(g.ym), Number(g.yd));
    return at.isValid ? at : undefined;
  }
  return dayOf(Number(g.m), Number(g.d), reportDate);
}

/** The day's hour and minute a matched `time` names (下午3点 is 15:00); undefined when it is no time (25:10). */
function timeOf(g: Groups, day: DateTime): DateTime | undefined {
  let hour = Number(g.h);
  const minute = g.half ? 30 : Number(g.mi ?? g.hm ?? 0);
  if (g.ap && /下午|傍晚|晚|夜/.test(g.ap) && hour < 12) hour += 12;
  if (g.ap === '中午' && hour < 11) hour += 12;
  if (hour > 23 || minute > 59) return undefined;
  return day.set({ hour, minute });
}

export interface When {
  start: LocalTime;
  end?: LocalTime;
  /** Where the text after the date and times begins. */
  after: number;
}

export type WhenReading = { ok: When } | { invalid: string } | { none: true };

/**
 * Reads `when` at the start of `text`: `2/5 8:48~9:50`, `2/14 12:04`, `3/1 23:40~0:25`, `3/6 22:00~3/7 2:00`,
 * `2023-02-05`, `2/9~2/12`. `invalid` names a date or time that is written but is no real one (2/30, 25:10).
 */
export function readWhen(text: string, reportDate: DateTime): WhenReading {
  let pos = 0;
  const match = (re: RegExp): Groups | undefined => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    pos = re.lastIndex;
    return m.groups ?? {};
  };
  const spaced = () => match(SPACE_AT);
  const date = match(DATE_AT);
  if (!date) return { none: true };
  const day = dateOf(date, reportDate);
  if (!day) return { invalid: text.slice(0, pos).trim() };
  spaced();
  const time = match(TIME_AT);
  const startAt = time ? timeOf(time, day) : day;
  if (!startAt) return { invalid: text.slice(0, pos).trim() };
  const start: LocalTime = { at: startAt, precision: time ? 'minute' : 'day' };

  const beforeRange = pos;
  let end: LocalTime | undefined;
  if (match(SEP_AT)) {
    const endDate = match(DATE_AT);
    spaced();
    const endTime = match(TIME_AT);
    if (endDate || endTime) {
      const endDay = endDate ? dateOf(endDate, reportDate) : start.at.startOf('day');
      if (!endDay) return { invalid: text.slice(0, pos).trim() };
      if (endTime) {
        let at = timeOf(endTime, endDay);
        if (!at) return { invalid: text.slice(0, pos).trim() };
        if (!endDate && at < start.at) at = at.plus({ days: 1 });
        end = { at, precision: 'minute' };
      } else {
        end = { at: endDay, precision: 'day' };
      }
    }
    if (!end) pos = beforeRange;
  }
  return { ok: { start, ...(end ? { end } : {}), after: pos } };
}

/** Whether `text` starts with something written as a date (valid or not): the mark of an entry's first line. */
export function startsWithDate(text: string): boolean {
  DATE_AT.lastIndex = 0;
  return DATE_AT.test(text);
}

export interface TimeMention {
  at: DateTime;
  /** The words around it, between punctuation, without a leading date and time. */
  clause: string;
  raw: string;
}

/**
 * Times written inside a paragraph (`2/14 21:45 启动…`, `于9：50完成…`), each with its clause. A time
 * without a date belongs to the day of the time before it, or the day after when it is earlier.
 */
export function timeMentions(text: string, after: DateTime, reportDate: DateTime): TimeMention[] {
  const out: TimeMention[] = [];
  let anchor = after;
  for (const clause of text.split(/[，,；;。\n]/)) {
    for (const m of clause.matchAll(MENTION)) {
      const g = m.groups ?? {};
      const dated = g.y ?? g.m;
      const base = dated ? dateOf(g, reportDate) : anchor.startOf('day');
      let at = base && timeOf(g, base);
      if (!at) continue;
      if (!dated && at < anchor) at = at.plus({ days: 1 });
      anchor = at;
      const raw = m[0];
      const words = clause.trim().startsWith(raw.trim()) ? clause.trim().slice(raw.trim().length) : clause;
      out.push({ at, clause: words.trim(), raw });
    }
  }
  return out;
}

/** The first `2/9~2/12` in a text, as days. */
export function dateRange(text: string, reportDate: DateTime): { from: DateTime; to: DateTime } | undefined {
  for (const m of text.matchAll(DATE_ANYWHERE)) {
    const from = dateOf(m.groups ?? {}, reportDate);
    SEP_AT.lastIndex = m.index + m[0].length;
    if (!from || !SEP_AT.exec(text)) continue;
    DATE_AT.lastIndex = SEP_AT.lastIndex;
    const second = DATE_AT.exec(text);
    const to = second && dateOf(second.groups ?? {}, reportDate);
    if (to) return { from, to };
  }
  return undefined;
}

const STARTED_FROM = new RegExp(String.raw`[从自]\s*${DATE}\s*(?:开始|起)`);

/** "从2月9日开始", "自2/9起": the day an incident began when it was found later. */
export function startedFrom(text: string, reportDate: DateTime): DateTime | undefined {
  const m = STARTED_FROM.exec(text);
  return m ? dateOf(m.groups ?? {}, reportDate) : undefined;
}

/** As the API takes it: `2023-02-05T08:48`, or `2023-02-09` for a day. */
export function localText(t: LocalTime): string {
  return t.precision === 'day' ? t.at.toFormat('yyyy-MM-dd') : t.at.toFormat("yyyy-MM-dd'T'HH:mm");
}

export const minute = (at: DateTime): LocalTime => ({ at, precision: 'minute' });
