import { DateTime } from 'luxon';

/**
 * Dates and times as weekly reports write them: `2/5`, `2月9日`, `8:48`, `9：50` (full-width colon),
 * ranges with `~`, `～`, `-`, `至`, `到`. Local wall-clock times only: the zone is applied when filed.
 */
export interface LocalTime {
  /** Wall-clock time, held in UTC so arithmetic never meets a DST gap. */
  at: DateTime;
  precision: 'minute' | 'day';
}

const DATE = String.raw`(\d{1,2})\s*[/月]\s*(\d{1,2})\s*日?`;
const TIME = String.raw`(\d{1,2})\s*[:：]\s*(\d{2})(?!\d)`;
const SEP = String.raw`\s*[~～〜\-–—至到]\s*`;

const sticky = (source: string) => new RegExp(source, 'y');
const DATE_AT = sticky(DATE);
const TIME_AT = sticky(TIME);
const SEP_AT = sticky(SEP);
const SPACE_AT = sticky(String.raw`\s*`);

/** A month and day with its year worked out from the report's date. */
export function dayOf(month: number, day: number, reportDate: DateTime): DateTime | undefined {
  const at = (year: number) => DateTime.utc(year, month, day);
  const same = at(reportDate.year);
  if (!same.isValid) return undefined;
  // A report in early January speaks of late December: a date well after the report is last year's.
  return same > reportDate.plus({ days: 60 }) ? at(reportDate.year - 1) : same;
}

function withTime(day: DateTime, hour: number, minute: number): DateTime | undefined {
  if (hour > 23 || minute > 59) return undefined;
  return day.set({ hour, minute });
}

export interface BulletTimes {
  start: LocalTime;
  end?: LocalTime;
  /** What follows the date and times: the headline. */
  rest: string;
}

/**
 * Reads `2/5 8:48~9:50 headline`, `2/14 12:04 headline`, `3/1 23:40~0:25` (past midnight: the next day),
 * `3/6 22:00~3/7 2:00`, `3/3 headline` (a date only). Undefined when the text does not start with a valid date and time.
 */
export function readBulletTimes(text: string, reportDate: DateTime): BulletTimes | undefined {
  let pos = 0;
  const match = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m) pos = re.lastIndex;
    return m;
  };
  const skipSpace = () => match(SPACE_AT);
  const date = match(DATE_AT);
  if (!date) return undefined;
  const day = dayOf(Number(date[1]), Number(date[2]), reportDate);
  if (!day) return undefined;
  skipSpace();
  const time = match(TIME_AT);
  const startAt = time ? withTime(day, Number(time[1]), Number(time[2])) : day;
  if (!startAt) return undefined;
  const start: LocalTime = { at: startAt, precision: time ? 'minute' : 'day' };

  let end: LocalTime | undefined;
  const beforeRange = pos;
  if (match(SEP_AT)) {
    const endDate = match(DATE_AT);
    skipSpace();
    const endTime = match(TIME_AT);
    const endDay = endDate ? dayOf(Number(endDate[1]), Number(endDate[2]), reportDate) : start.at.startOf('day');
    if (endDay && (endDate || endTime)) {
      if (endTime) {
        let at = withTime(endDay, Number(endTime[1]), Number(endTime[2]));
        // `23:40~0:25` ends the next day.
        if (at && !endDate && at < start.at) at = at.plus({ days: 1 });
        if (at) end = { at, precision: 'minute' };
      } else {
        end = { at: endDay, precision: 'day' };
      }
    }
    if (!end) pos = beforeRange;
  }
  return { start, ...(end ? { end } : {}), rest: text.slice(pos).replace(/^[\s,，:：、.。]+/, '').trim() };
}

export interface TimeMention {
  at: DateTime;
  /** The words around it, between punctuation, without a leading date and time. */
  clause: string;
  raw: string;
}

const MENTION = new RegExp(String.raw`(?:${DATE}\s*)?${TIME}`, 'g');

/**
 * Times written inside a paragraph (`2/14 21:45 启动…`, `于9：50完成…`), each with its clause. A time
 * without a date belongs to the day of the time before it, or the day after when it is earlier.
 */
export function timeMentions(text: string, after: DateTime, reportDate: DateTime): TimeMention[] {
  const out: TimeMention[] = [];
  let anchor = after;
  for (const clause of text.split(/[，,；;。\n]/)) {
    for (const m of clause.matchAll(MENTION)) {
      const [raw, month, day, hour, minute] = m;
      const base = month ? dayOf(Number(month), Number(day), reportDate) : anchor.startOf('day');
      let at = base && withTime(base, Number(hour), Number(minute));
      if (!at) continue;
      if (!month && at < anchor) at = at.plus({ days: 1 });
      anchor = at;
      const words = clause.trim().startsWith(raw.trim()) ? clause.trim().slice(raw.trim().length) : clause;
      out.push({ at, clause: words.trim(), raw });
    }
  }
  return out;
}

/** The first `2/9~2/12` in a text, as dates. */
export function dateRange(text: string, reportDate: DateTime): { from: DateTime; to: DateTime } | undefined {
  const m = new RegExp(`${DATE}${SEP}${DATE}`).exec(text);
  if (!m) return undefined;
  const from = dayOf(Number(m[1]), Number(m[2]), reportDate);
  const to = dayOf(Number(m[3]), Number(m[4]), reportDate);
  return from && to ? { from, to } : undefined;
}

/** "从2月9日开始", "自2/9起": the day an incident began when it was found later. */
export function startedFrom(text: string, reportDate: DateTime): DateTime | undefined {
  const m = new RegExp(`[从自]\\s*${DATE}\\s*(?:开始|起)`).exec(text);
  return m ? dayOf(Number(m[1]), Number(m[2]), reportDate) : undefined;
}

/** As the API takes it: `2023-02-05T08:48`, or `2023-02-09` for a day. */
export function localText(t: LocalTime): string {
  return t.precision === 'day' ? t.at.toFormat('yyyy-MM-dd') : t.at.toFormat("yyyy-MM-dd'T'HH:mm");
}

export const minute = (at: DateTime): LocalTime => ({ at, precision: 'minute' });
