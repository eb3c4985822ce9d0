import { DateTime } from 'luxon';
import { ACTIONS_LABEL, HEAD_LABEL, LEVEL_SAID } from './labels.js';
import { excerpt, note, type ImportWarning } from './notes.js';
import { startsWithDate } from './when.js';

/** One entry (its first line and the lines under it) of an incident section, as found in a report. */
export interface RawEntry {
  /** Line number of the first line (1-based). */
  line: number;
  lines: string[];
  reportTitle?: string;
  reportDate: DateTime;
  /** 生产稳定性事件 (a stability event unless the entry says otherwise) or 事故 / 故障 (an accident). */
  section: 'stability' | 'accident';
  /** The level its heading gave (`3. C级事故：`, `B级：` above the entry). */
  level?: string;
}

/** `# 第08周 2023/02/18`: a report's title, with its week and date (the year of its entries). */
const TITLE = /^\s*#{0,6}\s*(第\s*(\d{1,2})\s*周\s*[（(]?\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[)）]?)\s*$/;
const MARKDOWN_HEADING = /^\s*#{1,6}\s/;
const BRACKET_HEADING = /^\s*(?:#+\s*)?(?:\d{1,2}\s*[.、．]\s*)?【[^】]+】\s*[:：]?\s*$/;
const BULLET = /^\s*(?:[-*+]\s+|[•·]\s*)/;
/** An item of a numbered list: 1. 1、 （1） (1) 1) ①. */
const NUMBERED = /^\s*(?:(\d{1,2})\s*[.、．](?!\d)|[（(]\s*(\d{1,2})\s*[)）]|(\d{1,2})\s*[)）]|([①-⑳]))\s*/;

const STABILITY = /^(?:生产)?稳定性(?:事件|问题)$/;
const ACCIDENT = new RegExp(String.raw`^(?:生产|线上)?(?:(${LEVEL_SAID})\s*级)?\s*(?:事故|故障)(?:\s*[/、和与及]\s*(?:事故|故障))?(?:事件)?$`);
const LEVEL = new RegExp(String.raw`^(${LEVEL_SAID})\s*级(?:事件)?$`);

const indent = (line: string) => /^\s*/.exec(line)![0].replace(/\t/g, '    ').length;
const numberOf = (line: string): number | undefined => {
  const m = NUMBERED.exec(line);
  if (!m) return undefined;
  return m[4] ? m[4].charCodeAt(0) - 0x2460 + 1 : Number(m[1] ?? m[2] ?? m[3]);
};
const withoutMarker = (line: string) => line.replace(BULLET, '').replace(NUMBERED, '').trim();

/** What a heading names, with the outline's marks taken off: `## 3. 【C级事故】（1起）：` → `C级事故`. */
function coreOf(line: string): string {
  return line
    .replace(/^\s*#{1,6}\s*/, '')
    .replace(/^\s*(?:[A-Z]\s*[.、．]\s+)/, '')
    .replace(BULLET, '')
    .replace(NUMBERED, '')
    .replace(/\*\*/g, '')
    .replace(/[【】]/g, '')
    .replace(/\s*[:：]\s*$/, '')
    .replace(/\s*[（(][^)）]*[)）]\s*$/, '')
    .trim();
}

/** The kind of incident section a line opens (生产稳定性事件, 事故, 故障, C级事故), if it is one. */
function sectionOf(line: string): { section: RawEntry['section']; level?: string } | undefined {
  const core = coreOf(line);
  if (STABILITY.test(core)) return { section: 'stability' };
  const accident = ACCIDENT.exec(core);
  if (accident) return { section: 'accident', ...(accident[1] ? { level: accident[1].toUpperCase() } : {}) };
  return undefined;
}

/** A numbered item of the report's outline, not a list item: short and ending with a colon (`3. 事故：`, `4. 其他：`). */
const isOutlineLabel = (line: string) => NUMBERED.test(line) && /[:：]\s*$/.test(line) && withoutMarker(line).length <= 20;

/** Whether a line starts an entry: a bullet or numbered item whose text is a date, perhaps after its label (`- C级事故：3/16 …`). */
export function isEntryHead(line: string): boolean {
  if (!BULLET.test(line) && !NUMBERED.test(line)) return false;
  const text = withoutMarker(line);
  return startsWithDate(text.replace(HEAD_LABEL, ''));
}

interface Section {
  indent: number;
  section: RawEntry['section'];
  level?: string;
  /** The number of the outline item that opened it (`2. 生产稳定性事件：`), whose successor ends it. */
  outline?: number;
}

interface Open extends RawEntry {
  actions: boolean;
  lastNumber?: number;
  numberIndent?: number;
}

/**
 * Finds every entry of the incident sections (生产稳定性事件, 事故, 故障) in one or many weekly reports
 * pasted one after another. A report starts at its title (a repeated title, as wiki exports write it,
 * stays the same report); a section runs to the next heading, 【…】 item or item of the report's own
 * outline; each dated bullet in it is one entry. A numbered item that continues an entry's list of
 * actions stays in the entry; any other item at the outline's depth ends the section.
 */
export function findEntries(text: string, today: DateTime): { entries: RawEntry[]; warnings: ImportWarning[] } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const entries: RawEntry[] = [];
  const warnings: ImportWarning[] = [];
  let report: { title: string; date: DateTime } | undefined;
  let section: Section | undefined;
  let current: Open | undefined;
  let warnedNoTitle = false;

  const close = () => {
    if (current) {
      while (current.lines.length > 1 && !current.lines[current.lines.length - 1]!.trim()) current.lines.pop();
      const { actions: _a, lastNumber: _n, numberIndent: _i, ...entry } = current;
      entries.push(entry);
    }
    current = undefined;
  };
  const open = (line: string, found: { section: RawEntry['section']; level?: string }) => {
    section = { indent: indent(line), ...found, ...(NUMBERED.test(line) ? { outline: numberOf(line) } : {}) };
  };

  lines.forEach((text, i) => {
    const line = i + 1;
    const title = TITLE.exec(text);
    if (title) {
      close();
      section = undefined;
      const date = DateTime.utc(Number(title[3]), Number(title[4]), Number(title[5]));
      if (!date.isValid) warnings.push(note(line, 'badTitleDate', { title: title[1]! }));
      else report = { title: title[1]!.replace(/\s+/g, ' ').trim(), date };
      return;
    }
    const opens = isEntryHead(text) ? undefined : sectionOf(text);
    if (!section) {
      if (opens) open(text, opens);
      return;
    }
    if (!text.trim()) {
      current?.lines.push(text);
      return;
    }
    if (MARKDOWN_HEADING.test(text) || BRACKET_HEADING.test(text)) {
      close();
      section = undefined;
      if (opens) open(text, opens);
      return;
    }
    const deeper = current && indent(text) > indent(current.lines[0]!);
    if (opens && !deeper) {
      close();
      // A level under a section (`B级事故：`, `- C级：`) gives the entries below it their level.
      if (indent(text) > section.indent || BULLET.test(text) || (!NUMBERED.test(text) && section.outline !== undefined)) {
        section = { ...section, section: opens.section === 'accident' ? 'accident' : section.section, ...(opens.level ? { level: opens.level } : {}) };
      } else open(text, opens);
      return;
    }
    const level = LEVEL.exec(coreOf(text));
    if (level && !deeper && !isEntryHead(text)) {
      close();
      section = { ...section, level: level[1]!.toUpperCase() };
      return;
    }
    const number = numberOf(text);
    if (number !== undefined && indent(text) <= section.indent && !isEntryHead(text)) {
      const continuesActions = current?.actions && !isOutlineLabel(text) && number === (current.lastNumber ?? 0) + 1 && (current.numberIndent ?? indent(text)) === indent(text);
      if (!continuesActions) {
        close();
        section = undefined;
        return;
      }
    }
    if (isEntryHead(text) && (!current || indent(text) <= indent(current.lines[0]!))) {
      close();
      if (!report && !warnedNoTitle) {
        warnings.push(note(line, 'noTitle', { year: today.year }));
        warnedNoTitle = true;
      }
      current = {
        line,
        lines: [text],
        reportDate: report?.date ?? today,
        ...(report ? { reportTitle: report.title } : {}),
        section: section.section,
        ...(section.level ? { level: section.level } : {}),
        actions: false,
      };
      return;
    }
    if (!current) {
      warnings.push(note(line, 'outsideEntry', { text: excerpt(text) }));
      return;
    }
    if (BULLET.test(text) && !deeper && !ACTIONS_LABEL.test(text) && !/^[^:：]{1,8}[:：]/.test(withoutMarker(text))) {
      close();
      warnings.push(note(line, 'undatedBullet', { text: excerpt(text) }));
      return;
    }
    if (ACTIONS_LABEL.test(text)) current.actions = true;
    if (number !== undefined && current.actions) {
      current.lastNumber = number;
      current.numberIndent = indent(text);
    }
    current.lines.push(text);
  });
  close();
  return { entries, warnings };
}
