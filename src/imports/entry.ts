import type { DateTime } from 'luxon';
import type { ActionInput } from '../actions/schemas.js';
import type { CreateIncidentInput } from '../incidents/schemas.js';
import { dateRange, localText, minute, readBulletTimes, startedFrom, timeMentions, type LocalTime, type TimeMention } from './when.js';

export interface ImportWarning {
  /** 1-based line in the text that was given. */
  line: number;
  message: string;
}

/** One 生产稳定性事件 bullet and the lines under it, as found in a report. */
export interface RawEntry {
  /** Line number of the bullet (1-based). */
  line: number;
  lines: string[];
  reportTitle?: string;
  reportDate: DateTime;
}

export interface EntryOptions {
  timezone: string;
  /** SEVERITY_LEVELS, most severe first; the last one is a 生产稳定性事件. */
  severityLevels: string[];
}

const LABEL = /^\s*(原因|处置|处理|复盘和改进|复盘与改进|复盘|改进措施|影响)\s*[:：]\s*(.*)$/;
const NUMBERED = /^\s*(\d{1,2})\s*[.、．)）]\s*(.+)$/;
const BULLET = /^\s*[-*•+]\s+(.*)$/;
const REPAIR = /补数|补单|补全|数据修复|修复数据|修数|回补|跑批/;
const TITLE_MAX = 120;

type Part = 'headline' | 'cause' | 'remediation' | 'review' | 'impact' | 'actions';
const PART_OF: Record<string, Part> = {
  原因: 'cause',
  处置: 'remediation',
  处理: 'remediation',
  复盘和改进: 'review',
  复盘与改进: 'review',
  复盘: 'review',
  改进措施: 'actions',
  影响: 'impact',
};

export interface ParsedEntry {
  incident: CreateIncidentInput;
  warnings: ImportWarning[];
}

/** Sorts an entry's lines into its parts: the bullet's headline, 原因, 处置, 复盘和改进, numbered 改进措施. */
function sortLines(entry: RawEntry, warnings: ImportWarning[]) {
  const parts: Record<Part, string[]> = { headline: [], cause: [], remediation: [], review: [], impact: [], actions: [] };
  const actions: string[] = [];
  let part: Part = 'headline';
  entry.lines.forEach((text, i) => {
    const line = entry.line + i;
    if (i === 0) return;
    if (!text.trim()) return;
    const label = LABEL.exec(text);
    const numbered = NUMBERED.exec(text);
    if (label) {
      part = PART_OF[label[1]!]!;
      if (label[2]!.trim()) parts[part].push(label[2]!.trim());
    } else if (numbered) {
      actions.push(numbered[2]!.trim());
      part = 'actions';
    } else if (part === 'actions' && actions.length) {
      actions[actions.length - 1] += `\n${text.trim()}`;
    } else if (part === 'headline') {
      warnings.push({ line, message: `not placed (kept in the source text): ${excerpt(text)}` });
    } else {
      parts[part].push(text.trim());
    }
  });
  return { parts, actions };
}

/** Proposes an incident (the body POST /api/v1/incidents takes) for one entry, with what could not be placed. */
export function parseEntry(entry: RawEntry, options: EntryOptions): ParsedEntry | undefined {
  const first = BULLET.exec(entry.lines[0]!)?.[1] ?? entry.lines[0]!.trim();
  const times = readBulletTimes(first, entry.reportDate);
  if (!times) return undefined;
  const warnings: ImportWarning[] = [];
  /** A warning on the first line that holds `near`, else on the bullet. */
  const warn = (message: string, near?: string) => {
    const at = near ? entry.lines.findIndex((l) => l.includes(near)) : -1;
    warnings.push({ line: entry.line + Math.max(at, 0), message });
  };
  const { parts, actions } = sortLines(entry, warnings);
  const headline = times.rest.replace(/[。.]$/, '');
  const cause = parts.cause.join('\n').replace(/[。.]$/, '');
  const remediation = parts.remediation.join('\n');
  const review = parts.review.join('\n');

  // The window: the bullet's times, unless the text says the incident began earlier ("从2月9日开始").
  const window: Record<string, LocalTime> = {};
  const began = startedFrom(headline, entry.reportDate);
  if (began && began < times.start.at.startOf('day')) {
    window.startedAt = { at: began, precision: 'day' };
    window.detectedAt = times.start;
  } else {
    window.startedAt = times.start;
  }
  if (times.end) window.mitigatedAt = window.resolvedAt = times.end;

  const mentions = timeMentions(remediation, times.start.at, entry.reportDate);
  const repair = dataRepair(mentions, remediation, entry.reportDate);
  if (!window.resolvedAt) {
    const last = repair?.completedAt ?? mentions[mentions.length - 1]?.at;
    if (last) window.resolvedAt = minute(last);
    else warn('no end time in the bullet or 处置: the incident is filed as investigating; set when it was resolved');
  }

  if (!headline) warn('no headline after the date: the title says only the date');
  if (!cause) warn('no 原因: the cause is left empty');
  if (!remediation) warn('no 处置: the remediation is left empty');

  const errorRatio = errorRows(review || remediation, warn);
  const url = reportUrl(review);
  if (review && !url && /报告/.test(review)) warn('复盘和改进 mentions a report but no link was found', '报告');
  const participants = /组织(.+?)进行(?:事故)?复盘/.exec(review)?.[1]?.split(/[、,，和及与]/).map((s) => s.trim()).filter(Boolean);
  if (actions.length) warn(`${actions.length} corrective action(s) from 改进措施: filed unowned at medium priority; set owners and priorities`, actions[0]!.split('\n')[0]);

  const severity = severityOf(entry.lines.join('\n'), options.severityLevels, warn);
  const detection = detectionOf(headline);
  const timeline = [
    ...(headline ? [{ at: localText(window.detectedAt ?? window.startedAt!), text: headline }] : []),
    ...mentions.filter((m) => m.clause).map((m) => ({ at: localText(minute(m.at)), text: m.clause })),
  ];

  const incident: CreateIncidentInput = {
    title: titleOf(headline, times.start),
    status: window.resolvedAt ? 'resolved' : 'investigating',
    severity,
    timezone: options.timezone,
    locale: 'zh-CN',
    window: Object.fromEntries(Object.entries(window).map(([k, v]) => [k, localText(v)])),
    ...(detection ? { detection } : {}),
    impact: { ...(headline ? { summary: [headline, ...parts.impact].join('\n') } : {}), ...(errorRatio ? { errorRatios: [errorRatio] } : {}) },
    ...(cause ? { cause: { rootCauses: [cause] } } : {}),
    remediation: { ...(remediation ? { summary: remediation } : {}), ...(timeline.length ? { timeline } : {}) },
    ...(repair ? { dataRepair: repair.fields } : {}),
    ...(url || participants?.length ? { review: { ...(participants?.length ? { participants } : {}), ...(url ? { reportUrl: url } : {}) } } : {}),
    source: { ...(entry.reportTitle ? { reportTitle: entry.reportTitle } : {}), text: entry.lines.join('\n') },
    ...(actions.length ? { actions: actions.map(actionOf) } : {}),
  };
  return { incident, warnings };
}

function titleOf(headline: string, start: LocalTime): string {
  if (!headline) return `生产稳定性事件 ${start.at.toFormat('M/d')}`;
  return headline.length > TITLE_MAX ? `${headline.slice(0, TITLE_MAX - 1)}…` : headline;
}

const excerpt = (text: string) => (text.trim().length > 60 ? `${text.trim().slice(0, 59)}…` : text.trim());

/** "…2/14 21:45 启动账单补数跑批，2/15 15:00 完成2/9~2/12全部数据补全": the data repair (补数) and its times. */
function dataRepair(mentions: TimeMention[], remediation: string, reportDate: DateTime) {
  const repairs = mentions.filter((m) => REPAIR.test(m.clause));
  if (!repairs.length) return undefined;
  const start = repairs.find((m) => /启动|开始|发起/.test(m.clause)) ?? repairs[0]!;
  const end = repairs.find((m) => m !== start && /完成|结束/.test(m.clause) && m.at >= start.at) ?? (repairs.length > 1 ? repairs[repairs.length - 1] : undefined);
  const range = dateRange([end?.clause, start.clause, remediation].filter(Boolean).join('，'), reportDate);
  const description = start.clause.replace(/^(于|在)?\s*(启动|开始|发起)/, '').trim();
  return {
    completedAt: end?.at,
    fields: {
      ...(description ? { description } : {}),
      ...(range ? { range: { from: range.from.toISODate()!, to: range.to.toISODate()! } } : {}),
      startedAt: localText(minute(start.at)),
      ...(end ? { completedAt: localText(minute(end.at)) } : {}),
    },
  };
}

/**
 * "共1496160条数据，其中错误数据量6131条，错误占比0.409%": the rows; the ratio is computed, and the
 * percentage written in the report is kept as written, with a warning when it disagrees.
 */
function errorRows(text: string, warn: (m: string, near?: string) => void) {
  const m = /共[^，。；\d]{0,20}?(\d[\d,]*)\s*[条笔行单][^。；]*?错误[^，。；\d]{0,20}?(\d[\d,]*)\s*[条笔行单](?:[^。；]*?占比\s*(\d+(?:\.\d+)?\s*%))?/.exec(text);
  if (!m) {
    if (/占比|错误数据/.test(text)) warn('error rows mentioned but not read (expected "共N条…错误N条…占比P%")', /占比/.test(text) ? '占比' : '错误数据');
    return undefined;
  }
  const totalRows = Number(m[1]!.replace(/,/g, ''));
  const errorRows = Number(m[2]!.replace(/,/g, ''));
  const sentence = text.slice(0, m.index).split(/[。；\n]/).pop() ?? '';
  const label = sentence.split(/[，,]/).map((s) => s.trim()).find((s) => s.length > 1)?.replace(/^(盘点|统计|核对)/, '').replace(/问题$/, '') || '错误数据';
  const stated = m[3]?.replace(/\s+/g, '');
  if (stated && totalRows > 0) {
    const digits = stated.split('.')[1]?.replace('%', '').length ?? 0;
    const computed = ((errorRows / totalRows) * 100).toFixed(digits);
    if (computed !== stated.replace('%', '')) {
      warn(`the report says ${stated} but ${errorRows} / ${totalRows} rows is ${computed}%: the computed ratio is stored, ${stated} is kept as written`, m[3]);
    }
  }
  if (errorRows > totalRows) warn(`${errorRows} error rows out of ${totalRows}: more errors than rows`);
  return { label, totalRows, errorRows, ...(stated ? { stated } : {}) };
}

/** The report link in 复盘和改进: a markdown link's text when it is itself the address (without tracking parameters), else the link. */
function reportUrl(text: string): string | undefined {
  const link = /\[([^\]]*)\]\((https?:\/\/[^)\s]+)\)/.exec(text);
  if (link) return /^https?:\/\/\S+$/.test(link[1]!.trim()) ? link[1]!.trim() : link[2];
  return /https?:\/\/[^\s)\]】，。]+/.exec(text)?.[0];
}

/** The configured default for a 生产稳定性事件 (the last level), unless the entry says "B级" or "AB级". */
function severityOf(text: string, levels: string[], warn: (m: string, near?: string) => void): string {
  const fallback = levels[levels.length - 1]!;
  for (const m of text.matchAll(/(?<![A-Za-z])([A-Za-z]{1,2})\s*级/g)) {
    const said = m[1]!.toUpperCase();
    if (levels.includes(said)) return said;
    const named = [...said].filter((l) => levels.includes(l));
    if (named.length === said.length && named.length > 1) {
      warn(`the text says ${said}级: filed as ${named[0]} (the more severe); change it if it was ${named.slice(1).join(' or ')}`, m[0]);
      return named[0]!;
    }
  }
  return fallback;
}

function detectionOf(headline: string): CreateIncidentInput['detection'] | undefined {
  if (/(客户|用户|商户).{0,4}(反馈|投诉)/.test(headline)) return { source: 'customer_report', detail: headline };
  if (/业务.{0,4}反馈/.test(headline)) return { source: 'business_report', detail: headline };
  if (/告警|报警/.test(headline)) return { source: 'alert' };
  if (/监控/.test(headline)) return { source: 'monitoring' };
  return undefined;
}

/** A numbered 改进措施: its first phrase is the title, the rest the description (a long item without one keeps all of it there). */
function actionOf(text: string): ActionInput {
  const type = /监控|告警|报警|校验|识别|巡检/.test(text) ? 'detect' : /防止|避免|简化|规范|默认|加固/.test(text) ? 'prevent' : /流程|演练|培训|制度/.test(text) ? 'process' : 'other';
  const split = /^(.{4,80}?)[，,：:。；;]\s*([\s\S]+)$/.exec(text);
  if (split) return { title: split[1]!.trim(), description: split[2]!.trim(), type, priority: 'medium' };
  if (text.length > 200) return { title: `${text.slice(0, 199)}…`, description: text, type, priority: 'medium' };
  return { title: text, type, priority: 'medium' };
}
