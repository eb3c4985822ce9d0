/**
 * The grammar of row counts in a sentence (between 。；; or a line break), in any order and wording:
 *   total  := (共|总计|合计|全量|一共|总数|总量) … N [unit]   |   占 … N unit 的
 *   errors := (错误|失败|未同步|异常|…) … M unit   |   M unit … (错误|失败|…)   |   影响 M unit
 *   pair   := (错误|失败|…|占比|比例) … M / N [unit]   |   (M/N)
 *   stated := P% (the first percentage after a count)
 * e.g. 共1496160条数据，其中错误数据量6131条，错误占比0.409% · 共48210条，其中未同步状态1207条，占比2.5% ·
 * 影响1207笔，占当日48210笔的2.5% · 失败 1207/48210 笔.
 */
const NUM = String.raw`(?<n>\d{1,3}(?:,\d{3})+|\d+)`;
const PAIRED = String.raw`(?<e>\d{1,3}(?:,\d{3})+|\d+)\s*/\s*(?<t>\d{1,3}(?:,\d{3})+|\d+)`;
const UNIT = '(?:条|笔|行|单|个|户|家|次|记录)';
const BAD = '错误|失败|未同步|异常|差异|不一致|丢失|重复|漏单|未到账|受影响';
const GAP = String.raw`[^\d，,。；;%]{0,14}?`;

const TOTAL = [new RegExp(String.raw`(?:共|总计|合计|全量|一共|总数|总量)${GAP}${NUM}\s*${UNIT}?`, 'g'), new RegExp(String.raw`占${GAP}${NUM}\s*${UNIT}\s*的`, 'g')];
const ERRORS = [
  new RegExp(String.raw`(?<word>${BAD})${GAP}${NUM}\s*${UNIT}`, 'g'),
  new RegExp(String.raw`${NUM}\s*${UNIT}${GAP}(?<word>${BAD})`, 'g'),
  new RegExp(String.raw`(?<word>影响)\s*${NUM}\s*${UNIT}`, 'g'),
];
const PAIR = [
  new RegExp(String.raw`(?<word>${BAD}|占比|比例)${GAP}${PAIRED}(?!\s*[/\d])`, 'g'),
  new RegExp(String.raw`[（(]\s*${PAIRED}\s*[)）]`, 'g'),
];
const PERCENT = /(\d+(?:\.\d+)?)\s*[%％]/g;
/** Words that say a sentence speaks of error rows, so one that cannot be read is worth a warning. */
export const ROWS_MENTIONED = new RegExp(`占比|(?:${BAD})(?:数据|率|比例)`);

export interface RowCount {
  label: string;
  totalRows: number;
  errorRows: number;
  stated?: string;
  /** Where the sentence and the stated percentage are in the text, for warnings and the line map. */
  sentence: string;
  computed: string;
  disagrees: boolean;
}

const number = (s: string) => Number(s.replace(/,/g, ''));

interface Hit {
  at: number;
  end: number;
  value: number;
  word?: string;
}

function hits(sentence: string, patterns: RegExp[]): Hit[] {
  return patterns.flatMap((re) =>
    [...sentence.matchAll(re)].map((m) => ({ at: m.index, end: m.index + m[0].length, value: number(m.groups!.n!), ...(m.groups?.word ? { word: m.groups.word } : {}) })),
  );
}

/** The rows one sentence counts; undefined when it does not give both a total and the error rows. */
function countIn(sentence: string): RowCount | undefined {
  let total: Hit | undefined;
  let errors: Hit | undefined;
  for (const re of PAIR) {
    const m = [...sentence.matchAll(re)][0];
    if (!m) continue;
    errors = { at: m.index, end: m.index + m[0].length, value: number(m.groups!.e!), ...(m.groups?.word ? { word: m.groups.word } : {}) };
    total = { ...errors, value: number(m.groups!.t!) };
    break;
  }
  if (!total) {
    total = hits(sentence, TOTAL).sort((a, b) => a.at - b.at)[0];
    if (!total) return undefined;
    errors = hits(sentence, ERRORS)
      .filter((h) => h.end <= total!.at || h.at >= total!.end)
      .sort((a, b) => a.at - b.at)[0];
  }
  if (!errors) return undefined;
  const firstCount = Math.min(total.at, errors.at);
  const percents = [...sentence.matchAll(PERCENT)];
  // The percentage after the counts, else one written before them as a ratio (错误占比2.5%（共…）).
  const percent = percents.find((m) => m.index >= firstCount) ?? percents.find((m) => /占比|比例|率|占/.test(sentence.slice(Math.max(0, m.index - 3), m.index)));
  const stated = percent ? `${percent[1]}%` : undefined;
  const digits = stated?.split('.')[1]?.replace('%', '').length ?? 0;
  const exact = total.value > 0 ? (errors.value / total.value) * 100 : 0;
  // Within half a unit of the last written digit agrees: 2.5% for 2.5036% does, 0.409% for 0.4098% does not.
  const disagrees = stated !== undefined && Math.abs(exact - Number(percent![1])) > 0.5 * 10 ** -digits + 1e-9;
  return { label: labelOf(sentence.slice(0, firstCount), errors.word), totalRows: total.value, errorRows: errors.value, ...(stated ? { stated } : {}), sentence, computed: exact.toFixed(digits), disagrees };
}

/** What was counted: the words before the first count (盘点2/9~2/12期间二合一账单数据问题 → 2/9~2/12期间二合一账单数据), else the kind of error. */
function labelOf(before: string, word?: string): string {
  const said = before
    .split(/[，,]/)
    .map((s) => s.trim())
    .find((s) => s.length > 1)
    ?.replace(/^(盘点|统计|核对|其中)/, '')
    .replace(/问题$/, '');
  return said || `${word && word !== '影响' && word !== '占比' && word !== '比例' ? word : '错误'}数据`;
}

/** Every row count written in `text`, one per sentence. */
export function rowCounts(text: string): RowCount[] {
  return text
    .split(/[。；;\n]/)
    .map((s) => countIn(s))
    .filter((c): c is RowCount => !!c);
}
