import { DateTime } from 'luxon';
import type { ImportWarning, RawEntry } from './entry.js';

/** `# 第08周 2023/02/18`: a report's title, with its week and date (the year of its entries). */
const TITLE = /^\s*#{0,6}\s*(第\s*(\d{1,2})\s*周\s*[（(]?\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[)）]?)\s*$/;
/** The line that opens the incidents of a report ("2. 生产稳定性事件：", "生产事故："). */
const SECTION = /生产稳定性事件|生产事故/;
const HEADING = /^\s*#/;
const DATED_BULLET = /^\s*[-*•+]\s+\d{1,2}\s*[/月]\s*\d{1,2}/;
const BULLET = /^\s*[-*•+]\s+/;
const TOP_NUMBERED = /^\d{1,2}\s*[.、．]/;
const REVIEW_LABEL = /^\s*(复盘|改进措施)/;

const indent = (line: string) => /^\s*/.exec(line)![0].replace(/\t/g, '    ').length;

/**
 * Finds every 生产稳定性事件 entry in one or many weekly reports pasted one after another: each report
 * starts at its title (a repeated title, as wiki exports write it, stays the same report), its section
 * runs to the next heading or top-level item, and each dated bullet in it is one entry.
 */
export function findEntries(text: string, today: DateTime): { entries: RawEntry[]; warnings: ImportWarning[] } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const entries: RawEntry[] = [];
  const warnings: ImportWarning[] = [];
  let report: { title: string; date: DateTime } | undefined;
  let section: { indent: number } | undefined;
  let current: (RawEntry & { inReview: boolean }) | undefined;
  let warnedNoTitle = false;

  const close = () => {
    if (current) {
      while (current.lines.length > 1 && !current.lines[current.lines.length - 1]!.trim()) current.lines.pop();
      const { inReview: _r, ...entry } = current;
      entries.push(entry);
    }
    current = undefined;
  };

  lines.forEach((text, i) => {
    const line = i + 1;
    const title = TITLE.exec(text);
    if (title) {
      close();
      section = undefined;
      const date = DateTime.utc(Number(title[3]), Number(title[4]), Number(title[5]));
      if (!date.isValid) warnings.push({ line, message: `the report title's date is not a date: ${title[1]}` });
      else report = { title: title[1]!.replace(/\s+/g, ' ').trim(), date };
      return;
    }
    if (!section) {
      if (SECTION.test(text) && !BULLET.test(text)) section = { indent: indent(text) };
      return;
    }
    const ends = HEADING.test(text) || (TOP_NUMBERED.test(text) && indent(text) <= section.indent && !current?.inReview);
    if (ends) {
      close();
      section = undefined;
      if (SECTION.test(text) && !HEADING.test(text)) section = { indent: indent(text) };
      return;
    }
    if (DATED_BULLET.test(text)) {
      close();
      if (!report && !warnedNoTitle) {
        warnings.push({ line, message: `no report title with a date (第NN周 YYYY/MM/DD) before this line: dates are read in ${today.year}` });
        warnedNoTitle = true;
      }
      current = { line, lines: [text], reportDate: report?.date ?? today, ...(report ? { reportTitle: report.title } : {}), inReview: false };
      return;
    }
    if (!current) {
      if (text.trim()) warnings.push({ line, message: `in 生产稳定性事件 but not under a dated bullet ("- 2/5 8:48~9:50 …"): not imported` });
      return;
    }
    if (BULLET.test(text) && indent(text) <= indent(current.lines[0]!)) {
      close();
      warnings.push({ line, message: `a bullet without a date: not read as an incident` });
      return;
    }
    if (REVIEW_LABEL.test(text)) current.inReview = true;
    current.lines.push(text);
  });
  close();
  return { entries, warnings };
}
