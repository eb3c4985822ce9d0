/** The labels of an entry's parts, read by entry.ts (which part a line opens) and reports.ts (where an entry ends). */

export type Part = 'headline' | 'cause' | 'remediation' | 'review' | 'impact' | 'actions' | 'repair';

/**
 * A labelled part: its label (with `：`, `:` or a space after it, or alone on its line), perhaps as a
 * bullet or in 【】 / ** **. Longer labels first, so 复盘和改进 is not read as 复盘.
 */
const LABELS: [string, Part][] = [
  ['复盘和改进', 'review'], ['复盘与改进', 'review'], ['复盘及改进', 'review'], ['复盘总结', 'review'], ['复盘', 'review'],
  ['改进措施', 'actions'], ['后续措施', 'actions'], ['后续改进', 'actions'], ['整改措施', 'actions'], ['改进项', 'actions'],
  ['根本原因', 'cause'], ['事故原因', 'cause'], ['故障原因', 'cause'], ['问题原因', 'cause'], ['原因分析', 'cause'], ['根因', 'cause'], ['原因', 'cause'],
  ['处置过程', 'remediation'], ['处理过程', 'remediation'], ['处置', 'remediation'], ['处理', 'remediation'],
  ['影响范围', 'impact'], ['影响', 'impact'],
  ['补数', 'repair'], ['数据修复', 'repair'],
];
export const LABEL = new RegExp(String.raw`^\s*(?:[-*+•·]\s*)?(?:\*\*|【)?\s*(${LABELS.map(([l]) => l).join('|')})\s*(?:\*\*|】)?\s*(?:[:：]|\s+|$)\s*(.*)$`);
export const PART_OF = new Map(LABELS);
/** A line that opens the parts after which items are the corrective actions (reports.ts keeps them in the entry). */
export const ACTIONS_LABEL = new RegExp(String.raw`^\s*(?:[-*+•·]\s*)?(?:\*\*|【)?\s*(?:${LABELS.filter(([, part]) => part === 'review' || part === 'actions').map(([l]) => l).join('|')})`);
/**
 * A level as written before 级: one or two letters (`B`, `CD`), perhaps with a digit (`P1`, `S2`), or a
 * Chinese numeral (`一`). What it means is SEVERITY_LEVELS and IMPORT_LEVELS' business (entry.ts).
 */
export const LEVEL_SAID = String.raw`[A-Za-z]{1,2}\d?|[一二三四五]`;
/** The label an entry's first line may carry before its date: `C级事故：`, `B级`, `P1级故障`, `事故：`. */
export const HEAD_LABEL = new RegExp(String.raw`^(?:(${LEVEL_SAID})\s*级)?\s*(?:事故|故障|事件)?\s*[:：]?\s*`);
