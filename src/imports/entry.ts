import type { DateTime } from 'luxon';
import type { ActionInput } from '../actions/schemas.js';
import type { CreateIncidentInput } from '../incidents/schemas.js';
import { HEAD_LABEL, LABEL, LEVEL_SAID, PART_OF, type Part } from './labels.js';
import { excerpt, note, type ImportWarning } from './notes.js';
import type { RawEntry } from './reports.js';
import { ROWS_MENTIONED, rowCounts } from './rows.js';
import { dateRange, localText, minute, readWhen, startedFrom, timeMentions, type LocalTime, type TimeMention } from './when.js';

export type { RawEntry } from './reports.js';

export interface EntryOptions {
  timezone: string;
  /** SEVERITY_LEVELS, most severe first; the last one is a 生产稳定性事件 unless `levels` says otherwise. */
  severityLevels: string[];
  /** IMPORT_LEVELS: a written level (upper case, `CD`, `P1`, `一`) → its severity; `stability` → a 生产稳定性事件's. */
  levels?: Record<string, string>;
}

/** An item: 1. 1、 （1） (1) 1) ① or a bullet. */
const ITEM = /^\s*(?:\d{1,2}\s*[.、．](?!\d)|[（(]\s*\d{1,2}\s*[)）]|\d{1,2}\s*[)）]|[①-⑳]|[-*+•·])\s*(.+)$/;
const MARKER = /^\s*(?:[-*+]\s+|[•·]\s*|\d{1,2}\s*[.、．](?!\d)\s*|[（(]\s*\d{1,2}\s*[)）]\s*|[①-⑳]\s*)/;
const REPAIR = /补数|补单|补全|数据修复|修复数据|修数|回补|跑批/;
const TITLE_MAX = 120;
/** A level after the times (`9：50～10：20 AB级事故：`) and one said in the text (`定级为B级`). */
const LEVEL_AFTER_TIMES = new RegExp(String.raw`^(${LEVEL_SAID})\s*级(?:事故|故障|事件)?\s*[:：]?\s*`);
const LEVEL_IN_TEXT = new RegExp(String.raw`(?:定级|定为|评为|级别)[为：:\s]*(${LEVEL_SAID})\s*级`);

/** The fields a source line filled, as the preview names them (`imports.field.<name>`). */
export type FieldName = 'title' | 'window' | 'severity' | 'detection' | 'impact' | 'errorRatio' | 'cause' | 'remediation' | 'timeline' | 'dataRepair' | 'review' | 'reportUrl' | 'actions';
export interface LineReading {
  line: number;
  fields: FieldName[];
}

export interface ParsedEntry {
  incident: CreateIncidentInput;
  warnings: ImportWarning[];
  /** Each non-blank line of the entry with the fields it filled (none: it is in a warning). */
  reading: LineReading[];
}

const FIELD_OF: Record<Exclude<Part, 'headline'>, FieldName> = { cause: 'cause', remediation: 'remediation', review: 'review', impact: 'impact', actions: 'actions', repair: 'dataRepair' };

/**
 * Sorts an entry's lines into its parts. Items (1. 1、 （1） ① -) under 改进措施 or 复盘 are the
 * corrective actions; under another part they are that part's text; a line under no label is a warning.
 */
function sortLines(entry: RawEntry, warnings: ImportWarning[], mark: (line: number, field: FieldName) => void) {
  const parts: Record<Part, string[]> = { headline: [], cause: [], remediation: [], review: [], impact: [], actions: [], repair: [] };
  const actions: { text: string; line: number }[] = [];
  let part: Part = 'headline';
  entry.lines.forEach((text, i) => {
    const line = entry.line + i;
    if (i === 0 || !text.trim()) return;
    const label = LABEL.exec(text);
    const item = ITEM.exec(text);
    if (label) {
      part = PART_OF.get(label[1]!)!;
      const rest = label[2]!.trim();
      mark(line, FIELD_OF[part as Exclude<Part, 'headline'>]);
      if (rest && part === 'actions') actions.push({ text: rest.replace(MARKER, ''), line });
      else if (rest) parts[part].push(rest);
    } else if (item && (part === 'actions' || part === 'review')) {
      actions.push({ text: item[1]!.trim(), line });
      part = 'actions';
      mark(line, 'actions');
    } else if (part === 'actions' && actions.length) {
      actions[actions.length - 1]!.text += `\n${text.trim()}`;
      mark(line, 'actions');
    } else if (part === 'headline' || part === 'actions') {
      warnings.push(note(line, 'notPlaced', { text: excerpt(text) }));
    } else {
      parts[part].push(text.trim());
      mark(line, FIELD_OF[part as Exclude<Part, 'headline'>]);
    }
  });
  return { parts, actions };
}

type Warn = (id: Parameters<typeof note>[1], params?: Record<string, string | number>, near?: string) => void;

/** Proposes an incident (the body POST /api/v1/incidents takes) for one entry, with what could not be placed; a `badWhen` warning when its date is no date. */
export function parseEntry(entry: RawEntry, options: EntryOptions): ParsedEntry | { unread: ImportWarning } {
  const head = entry.lines[0]!.replace(MARKER, '').trim();
  const label = HEAD_LABEL.exec(head)!;
  const afterLabel = head.slice(label[0].length);
  const when = readWhen(afterLabel, entry.reportDate);
  if (!('ok' in when)) return { unread: note(entry.line, 'badWhen', { text: 'invalid' in when ? when.invalid : excerpt(afterLabel) }) };
  const times = when.ok;
  const warnings: ImportWarning[] = [];
  const reading = new Map<number, Set<FieldName>>();
  const mark = (line: number, field: FieldName) => reading.set(line, (reading.get(line) ?? new Set()).add(field));
  /** The line of the entry that holds `near` (the first line when none does). */
  const lineOf = (near?: string) => entry.line + Math.max(near ? entry.lines.findIndex((l) => l.includes(near)) : 0, 0);
  const warn: Warn = (id, params = {}, near) => warnings.push(note(lineOf(near), id, params));
  const markNear = (near: string, field: FieldName) => mark(lineOf(near), field);

  // After the times, the level may come again (`3/6 9：50～10：20 AB级事故：…`), then the headline.
  const rest = afterLabel.slice(times.after).replace(/^[\s,，:：、.。]+/, '');
  const level2 = LEVEL_AFTER_TIMES.exec(rest);
  const headline = rest.slice(level2?.[0].length ?? 0).replace(/[。.]$/, '').trim();
  mark(entry.line, 'window');
  if (headline) mark(entry.line, 'title');

  const { parts, actions } = sortLines(entry, warnings, mark);
  const cause = parts.cause.join('\n').replace(/[。.]$/, '');
  const remediation = parts.remediation.join('\n');
  const review = parts.review.join('\n');
  const repairText = parts.repair.join('\n');

  // The window: the first line's times, unless the text says the incident began earlier ("从2月9日开始").
  const window: Record<string, LocalTime> = {};
  const began = startedFrom(headline, entry.reportDate);
  if (began && began < times.start.at.startOf('day')) {
    window.startedAt = { at: began, precision: 'day' };
    window.detectedAt = times.start;
  } else {
    window.startedAt = times.start;
  }
  if (times.end && times.end.at < times.start.at) warn('endBeforeStart', { start: localText(times.start), end: localText(times.end) });
  else if (times.end) window.mitigatedAt = window.resolvedAt = times.end;

  const mentions = timeMentions(remediation, times.start.at, entry.reportDate);
  for (const m of mentions) if (m.clause) markNear(m.raw.trim(), 'timeline');
  const repairMentions = timeMentions(repairText, times.start.at, entry.reportDate);
  const repair = dataRepair([...mentions, ...repairMentions.map((m) => ({ ...m, clause: REPAIR.test(m.clause) ? m.clause : `补数${m.clause}` }))], [remediation, repairText].join('\n'), entry.reportDate);
  if (repair) for (const m of repair.used) markNear(m.raw.trim(), 'dataRepair');
  if (!window.resolvedAt) {
    const last = repair?.completedAt ?? mentions[mentions.length - 1]?.at;
    if (last) {
      window.resolvedAt = minute(last);
      const from = repair?.completedAt ? repair.used[repair.used.length - 1] : mentions[mentions.length - 1];
      if (from) markNear(from.raw.trim(), 'window');
    } else warn('noEnd');
  }

  if (!headline) warn('noHeadline');
  if (!cause) warn('noCause');
  if (!remediation) warn('noRemediation');

  const errorRatios = [];
  const seen = new Set<string>();
  const countable = [headline, ...parts.impact, review, remediation, repairText].join('\n');
  for (const c of rowCounts(countable)) {
    const key = `${c.errorRows}/${c.totalRows}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const near = c.sentence.trim().slice(0, 12);
    if (c.errorRows > c.totalRows) {
      warn('moreErrorsThanRows', { errors: c.errorRows, total: c.totalRows }, near);
      continue;
    }
    if (c.disagrees) warn('statedRatio', { stated: c.stated!, errors: c.errorRows, total: c.totalRows, computed: c.computed }, c.stated ?? near);
    markNear(near, 'errorRatio');
    errorRatios.push({ label: c.label, totalRows: c.totalRows, errorRows: c.errorRows, ...(c.stated ? { stated: c.stated } : {}) });
  }
  if (!errorRatios.length && ROWS_MENTIONED.test(countable)) warn('rowsNotRead', {}, ROWS_MENTIONED.exec(countable)![0]);
  const url = reportUrl(review);
  if (url) markNear(url, 'reportUrl');
  if (review && !url && /报告/.test(review)) warn('reportNoLink', {}, '报告');
  const participants = /组织(.+?)进行(?:事故)?复盘/.exec(review)?.[1]?.split(/[、,，和及与]/).map((s) => s.trim()).filter(Boolean);
  if (actions.length) warn('actionsFiled', { n: actions.length }, actions[0]!.text.split('\n')[0]);

  // The level: on the first line (before or after the times), else said in the text (定级为B级), else the heading's.
  const said = label[1] ?? level2?.[1] ?? LEVEL_IN_TEXT.exec(entry.lines.join('\n'))?.[1] ?? entry.level;
  let severity: string | undefined;
  if (said) {
    severity = severityOf(said, options, warn);
    if (label[1] || level2) mark(entry.line, 'severity');
  } else if (entry.section === 'stability') severity = options.levels?.stability ?? options.severityLevels[options.severityLevels.length - 1]!;
  else warn('noLevel');
  const detection = detectionOf(headline);
  if (detection) mark(entry.line, 'detection');
  const timeline = [
    ...(headline ? [{ at: localText(window.detectedAt ?? window.startedAt!), text: headline }] : []),
    ...mentions.filter((m) => m.clause).map((m) => ({ at: localText(minute(m.at)), text: m.clause })),
  ];

  const incident: CreateIncidentInput = {
    title: titleOf(headline, times.start, entry.section),
    status: window.resolvedAt ? 'resolved' : 'investigating',
    ...(severity ? { severity } : {}),
    timezone: options.timezone,
    locale: 'zh-CN',
    window: Object.fromEntries(Object.entries(window).map(([k, v]) => [k, localText(v)])),
    ...(detection ? { detection } : {}),
    impact: { ...(headline || parts.impact.length ? { summary: [headline, ...parts.impact].filter(Boolean).join('\n') } : {}), ...(errorRatios.length ? { errorRatios } : {}) },
    ...(cause ? { cause: { rootCauses: [cause] } } : {}),
    remediation: { ...(remediation ? { summary: remediation } : {}), ...(timeline.length ? { timeline } : {}) },
    ...(repair ? { dataRepair: repair.fields } : {}),
    ...(url || participants?.length ? { review: { ...(participants?.length ? { participants } : {}), ...(url ? { reportUrl: url } : {}) } } : {}),
    source: { ...(entry.reportTitle ? { reportTitle: entry.reportTitle } : {}), text: entry.lines.join('\n') },
    ...(actions.length ? { actions: actions.map((a) => actionOf(a.text)) } : {}),
  };
  const lines = entry.lines.map((text, i) => ({ line: entry.line + i, text })).filter((l) => l.text.trim());
  return { incident, warnings, reading: lines.map(({ line }) => ({ line, fields: [...(reading.get(line) ?? [])] })) };
}

function titleOf(headline: string, start: LocalTime, section: RawEntry['section']): string {
  if (!headline) return `${section === 'accident' ? '事故' : '生产稳定性事件'} ${start.at.toFormat('M/d')}`;
  return headline.length > TITLE_MAX ? `${headline.slice(0, TITLE_MAX - 1)}…` : headline;
}

/** "…2/14 21:45 启动账单补数跑批，2/15 15:00 完成2/9~2/12全部数据补全": the data repair (补数) and its times. */
function dataRepair(mentions: TimeMention[], text: string, reportDate: DateTime) {
  const repairs = mentions.filter((m) => REPAIR.test(m.clause));
  if (!repairs.length) return undefined;
  const start = repairs.find((m) => /启动|开始|发起/.test(m.clause)) ?? repairs[0]!;
  const end = repairs.find((m) => m !== start && /完成|结束/.test(m.clause) && m.at >= start.at) ?? (repairs.length > 1 ? repairs[repairs.length - 1] : undefined);
  const range = dateRange([end?.clause, start.clause, text].filter(Boolean).join('，'), reportDate);
  const description = start.clause.replace(/^(于|在)?\s*(启动|开始|发起)/, '').trim();
  return {
    completedAt: end?.at,
    used: end ? [start, end] : [start],
    fields: {
      ...(description ? { description } : {}),
      ...(range ? { range: { from: range.from.toISODate()!, to: range.to.toISODate()! } } : {}),
      startedAt: localText(minute(start.at)),
      ...(end ? { completedAt: localText(minute(end.at)) } : {}),
    },
  };
}

/** The report link in 复盘和改进: a markdown link's text when it is itself the address (without tracking parameters), else the link. */
function reportUrl(text: string): string | undefined {
  const link = /\[([^\]]*)\]\((https?:\/\/[^)\s]+)\)/.exec(text);
  if (link) return /^https?:\/\/\S+$/.test(link[1]!.trim()) ? link[1]!.trim() : link[2];
  return /https?:\/\/[^\s)\]】，。]+/.exec(text)?.[0];
}

/**
 * The severity a level names: the team's mapping (IMPORT_LEVELS) first, then the level itself when it is
 * one of SEVERITY_LEVELS, then each of its letters (`CD` → C, with a warning that it could be D). A level
 * that names none is left for the person to choose.
 */
function severityOf(said: string, options: EntryOptions, warn: Warn): string | undefined {
  const word = said.toUpperCase();
  const levels = options.severityLevels;
  const mapped = options.levels?.[word];
  if (mapped) return mapped;
  if (levels.includes(word)) return word;
  const named = [...new Set([...word].filter((l) => levels.includes(l)))].sort((a, b) => levels.indexOf(a) - levels.indexOf(b));
  if (named.length !== word.length || !named.length) {
    warn('unknownLevel', { said: `${said}级` }, `${said}`);
    return undefined;
  }
  if (named.length > 1) warn('eitherLevel', { said: `${word}级`, level: named[0]!, others: named.slice(1).join(' / ') }, `${said}`);
  return named[0];
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
