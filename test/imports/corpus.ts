import { DateTime } from 'luxon';

/**
 * A seeded generator of weekly reports in the family the team writes (issue 25): every spelling of dates,
 * times and ranges, 生产稳定性事件 and 事故 / 故障 sections, levels on the line, after the times or in a
 * heading, labelled parts with `：`, `:` or a space, actions in six numberings, row counts in four wordings,
 * and lines that must end up in a warning. Beside each report it keeps what it wrote, so a test can check
 * the import recovers it field by field.
 */
/** The team's IMPORT_LEVELS for the corpus: levels it writes that are not its severities. */
export const CORPUS_LEVELS: Record<string, string> = { P1: 'B', P2: 'C', 一: 'A', 二: 'B' };
/** What a written level means: the team's mapping, else its first letter (a pair is its more severe). */
const meant = (level: string) => CORPUS_LEVELS[level] ?? level[0]!;

export interface WrittenEntry {
  line: number;
  window: Record<string, string>;
  severity: string;
  title: string;
  cause: string;
  remediation: string;
  errorRatio?: { totalRows: number; errorRows: number; stated?: string };
  /** The report's percentage disagrees with its counts: a warning is due. */
  misstated?: boolean;
  actions: string[];
  /** A line under no label: due a warning naming it. */
  strayLine?: number;
}

export interface WrittenReport {
  text: string;
  entries: WrittenEntry[];
  /** Lines that start no entry and must each be named by a warning (an undated bullet, 2/30). */
  refused: number[];
  /** Outline items and headings inside or after the incident sections: never an action. */
  outline: string[];
}

/** mulberry32: small, seeded, reproducible. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof random>;

const HEADLINES = ['清算文件生成延迟，部分商户对账受影响', '支付网关证书过期，部分渠道支付失败', '账户余额同步中断，余额显示不准', '对账平台查询超时', '代付通道限流，批量代付延迟到账', '商户结算单下载失败', '消息队列积压，通知延迟', '风控名单加载失败，交易被误拦截'];
const CAUSES = ['同步任务所在节点磁盘写满', '连接池被归档任务占满', '证书到期提醒发给了已离职同事', '慢查询未走索引', '限流阈值调整后未同步到批量任务配置', '配置中心推送了错误的开关'];
const FIXES = ['清理磁盘并重启同步任务', '暂停归档任务后恢复', '更换证书后恢复', '增加索引后恢复', '手工分批重提任务', '回滚配置后恢复'];
const ACTIONS = ['磁盘使用率告警', '连接池按任务拆分', '证书到期监控', '慢查询巡检纳入发布流程', '限流配置变更双人复核', '配置推送灰度发布', '归档任务改到凌晨执行', '同步任务失败自动重试'];
const BAD = ['错误', '失败', '未同步', '异常'];

const pad = (n: number) => String(n).padStart(2, '0');

function writeDate(r: Random, d: DateTime): string {
  return r.pick([
    () => `${d.month}/${d.day}`,
    () => `${pad(d.month)}/${pad(d.day)}`,
    () => `${d.month}月${d.day}日`,
    () => `${d.year}/${d.month}/${d.day}`,
    () => `${d.year}-${pad(d.month)}-${pad(d.day)}`,
  ])();
}

function writeTime(r: Random, t: DateTime): string {
  return r.pick([
    () => `${t.hour}:${pad(t.minute)}`,
    () => `${pad(t.hour)}:${pad(t.minute)}`,
    () => `${t.hour}：${pad(t.minute)}`,
    () => (t.minute === 0 ? `${t.hour}点` : `${t.hour}点${t.minute}分`),
  ])();
}

const local = (t: DateTime, day: boolean) => (day ? t.toFormat('yyyy-MM-dd') : t.toFormat("yyyy-MM-dd'T'HH:mm"));

/** The counts sentence, in one of the wordings, and what it says. */
function writeRows(r: Random): { text: string; ratio: NonNullable<WrittenEntry['errorRatio']>; misstated: boolean } {
  const total = r.int(1000, 2_000_000);
  const errors = r.int(1, Math.floor(total / 10));
  const digits = r.int(1, 3);
  const exact = (errors / total) * 100;
  const misstated = r.chance(0.15);
  const percent = (misstated ? exact + 0.5 + r.next() : exact).toFixed(digits);
  const bad = r.pick(BAD);
  const totalText = r.chance(0.3) ? total.toLocaleString('en-US') : String(total);
  const unit = r.pick(['条', '笔']);
  const form = r.int(0, 4);
  const text = [
    `共${totalText}${unit}数据，其中${bad}${errors}${unit}，占比${percent}%`,
    `其中${errors}${unit}${bad}，共${totalText}${unit}`,
    `影响${errors}笔，占当日${totalText}笔的${percent}%`,
    `${bad}订单 ${errors}/${total}`,
    `期间全量共${totalText}${unit}数据，其中${bad}数据量${errors}${unit}，${bad}占比${percent}%`,
  ][form]!;
  const stated = form === 1 || form === 3 ? undefined : `${percent}%`;
  return { text, ratio: { totalRows: total, errorRows: errors, ...(stated ? { stated } : {}) }, misstated: misstated && !!stated };
}

/** The lines of one entry, the values they say, and the severity it should get. */
function writeEntry(r: Random, out: string[], reportDate: DateTime, section: 'stability' | 'accident', headingLevel: string | undefined): WrittenEntry {
  const day = reportDate.minus({ days: r.int(1, 6) });
  const dayOnly = r.chance(0.15);
  const start = dayOnly ? day : day.set({ hour: r.int(0, 23), minute: r.int(0, 59) });
  let when = `${writeDate(r, start)}${dayOnly ? '' : ` ${writeTime(r, start)}`}`;
  const window: Record<string, string> = { startedAt: local(start, dayOnly) };
  const sep = () => r.pick(['~', '～', '-', '—', ' 至 ', '到', ' ~ ']);
  const endKind = r.int(0, 3);
  let end: DateTime | undefined;
  let endDayOnly = false;
  if (dayOnly && endKind > 0 && endKind < 3) {
    end = start.plus({ days: r.int(1, 3) });
    endDayOnly = true;
    when += `${sep()}${writeDate(r, end)}`;
  } else if (!dayOnly && endKind === 1) {
    end = start.plus({ minutes: r.int(5, 300) });
    // Past midnight the time alone says the next day; a second date may be written anyway.
    when += `${sep()}${end.day !== start.day || r.chance(0.3) ? `${writeDate(r, end)} ` : ''}${writeTime(r, end)}`;
  } else if (!dayOnly && endKind === 2) {
    end = start.plus({ days: 1, minutes: r.int(5, 600) });
    when += `${sep()}${writeDate(r, end)} ${writeTime(r, end)}`;
  }
  if (end) window.mitigatedAt = window.resolvedAt = local(end, endDayOnly);

  // The level: on the line before the date, after the times, from the heading, or the stability default.
  // An accident under a heading without a level always says its own.
  const level = r.pick(['A', 'B', 'C', 'D', 'CD', 'AB', 'P1', '一', ...(section === 'accident' && !headingLevel ? [] : [undefined, undefined])]);
  const where = level ? r.pick(['label', 'after'] as const) : undefined;
  const severity = level ? meant(level) : section === 'stability' ? 'E' : meant(headingLevel!);
  const label = where === 'label' ? `${level}级${r.pick(['事故', '故障', ''])}${r.pick(['：', ':', ' '])}` : section === 'accident' && !level && r.chance(0.3) ? '事故：' : '';
  const after = where === 'after' ? `${level}级${r.pick(['事故', ''])}：` : '';
  const title = r.pick(HEADLINES);
  const marker = r.pick(['- ', '* ', '• ']);
  const line = out.length + 1;
  out.push(`${marker}${label}${when} ${after}${title}`);

  const ind = r.pick(['    ', '  ']);
  const blank = () => r.chance(0.5) && out.push(ind);
  const entry: WrittenEntry = { line, window, severity, title, cause: '', remediation: '', actions: [] };
  if (r.chance(0.1)) {
    entry.strayLine = out.length + 1;
    out.push(`${ind}这一行没有写在任何标签下`);
  }
  blank();
  entry.cause = r.pick(CAUSES);
  out.push(`${ind}${r.pick(['原因', '根因', '根本原因'])}${r.pick(['：', ':', ' '])}${entry.cause}${r.pick(['。', ''])}`);
  blank();
  entry.remediation = r.pick(FIXES);
  if (!end && !dayOnly && r.chance(0.6)) {
    // No end on the first line: the time the 处置 says it recovered is the end.
    const back = start.plus({ minutes: r.int(10, 200) });
    entry.remediation += `，于${writeTime(r, back)}恢复`;
    window.resolvedAt = local(back, false);
  }
  entry.remediation += '。';
  out.push(`${ind}${r.pick(['处置', '处理'])}${r.pick(['：', ':', ' '])}${entry.remediation}`);
  blank();
  const rows = r.chance(0.5) ? writeRows(r) : undefined;
  if (rows) {
    entry.errorRatio = rows.ratio;
    entry.misstated = rows.misstated;
  }
  const actionCount = r.chance(0.7) ? r.int(1, 4) : 0;
  if (rows && r.chance(0.5)) out.push(`${ind}影响${r.pick(['：', ':', ' '])}${rows.text}。`);
  if (actionCount || (rows && !out[out.length - 1]!.includes(rows.text))) {
    const review = r.chance(0.5) || (rows && !out[out.length - 1]!.includes(rows.text));
    if (review) {
      out.push(`${ind}${r.pick(['复盘和改进', '复盘与改进', '复盘'])}${r.pick(['：', ':', ''])}`);
      if (rows && !out.some((l) => l.includes(rows.text))) out.push(`${ind}组织研发、SRE进行事故复盘。${rows.text}。`);
    } else out.push(`${ind}${r.pick(['改进措施', '后续措施'])}${r.pick(['：', ':', ''])}`);
    // Numbered at the entry's depth, or at the outline's (column 0) as some write them.
    const style = r.int(0, 5);
    const at = style < 5 && r.chance(0.25) ? '' : ind;
    for (let k = 1; k <= actionCount; k++) {
      const text = ACTIONS[(k + line) % ACTIONS.length]!;
      entry.actions.push(text);
      const mark = [`${k}. `, `${k}、`, `（${k}）`, `(${k}) `, String.fromCharCode(0x2460 + k - 1), '- '][style]!;
      out.push(`${at}${mark}${text}`);
    }
  }
  return entry;
}

/** One weekly report dated `date`, with its entries and what they say. */
export function writeReport(seed: number, week: number, date: DateTime): WrittenReport {
  const r = random(seed);
  const out: string[] = [`# 第${pad(week)}周 ${date.toFormat('yyyy/MM/dd')}`, '', '# 上周进展', '', '## 【系统运行数据】', '', '- 事故数AB级0次，CD级0次', ''];
  out.push('## 【稳定性建设】', '', '1. 灾备切换演练完成。');
  const entries: WrittenEntry[] = [];
  const refused: number[] = [];
  const outline: string[] = [];
  out.push(r.pick(['2. 生产稳定性事件：', '2. 生产稳定性事件:', '2、生产稳定性事件：']));
  for (let n = r.int(1, 3); n > 0; n--) entries.push(writeEntry(r, out, date, 'stability', undefined));
  if (r.chance(0.2)) {
    refused.push(out.length + 1);
    out.push(r.pick(['- 本周其他小问题已处理', `- 2/30 10:00 不存在的日期`]));
  }
  // The accident section, with its level in its heading, in a sub-heading, or only on the entries' lines.
  const headingLevel = r.pick(['B', 'C', 'D', 'P2', '二']);
  const heading = r.int(0, 3);
  const opener = [`3. ${r.pick(['事故', '故障', '事故/故障'])}：`, `3. ${headingLevel}级事故：`, `### ${r.pick(['事故', '故障'])}`, `3. 事故：`][heading]!;
  out.push(opener);
  outline.push(opener);
  if (heading === 3) out.push(`${headingLevel}级事故：`);
  for (let n = r.int(1, 3); n > 0; n--) entries.push(writeEntry(r, out, date, 'accident', heading === 0 || heading === 2 ? undefined : headingLevel));
  const next = r.pick(['## 【其他】', '【其他】', '4. 其他：']);
  out.push('', next, '', '1. 参加产研线共识会', '2. 支付架构规划研讨');
  outline.push(next);
  return { text: out.join('\n'), entries, refused, outline };
}
