import { expect } from 'chai';
import { fingerprintOf, parseWeeklyReports } from '../../src/imports/parse.js';
import { fixture } from '../support/fixtures.js';
import { report } from './reports.js';
import { localMessage } from '../../src/documents/format.js';

const options = { timezone: 'Asia/Shanghai', severityLevels: ['A', 'B', 'C', 'D', 'E'], today: new Date('2026-11-25T02:00:00Z') };
const parse = (text: string, extra = {}) => parseWeeklyReports(text, { ...options, ...extra });
/** The 1-based line of the first line of `text` that contains `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('weekly report parser', () => {
  it('reads the TiDB entry of week 07 as the fixture has it: 8:48~9:50 local, E, cause and remediation, nothing to warn', () => {
    const text = report('2023-w07');
    const { proposals, warnings } = parse(text);
    expect(proposals).to.have.length(1);
    const [p] = proposals;
    expect(warnings).to.deep.equal([]);
    expect(p!.warnings).to.deep.equal([]);
    expect(p!.incident.window).to.deep.equal(fixture('tidb-sync').window);
    expect(p!.incident).to.include({ severity: 'E', status: 'resolved', timezone: 'Asia/Shanghai', locale: 'zh-CN' });
    expect(p!.incident.title).to.equal('Oracle到TiDB同步链路中断，影响到商户账单生成延迟');
    expect(p!.incident.cause?.rootCauses).to.deep.equal(['TiDB服务器文件系统故障，银企tidb和azkaban系统的稳定性引起']);
    expect(p!.incident.remediation?.summary).to.equal('联系系统组进行排查，系统组于9：50完成TiDB服务器文件系统修复，同步链路已经恢复正常。');
    expect(p!.incident.remediation?.timeline?.map((e) => e.at)).to.deep.equal(['2023-02-05T08:48', '2023-02-05T09:50']);
    expect(p!.incident.actions).to.equal(undefined);
    // Verbatim: the bullet through its last line, as the report wrote it.
    expect(p!.incident.source?.reportTitle).to.equal('第07周 2023/02/07');
    const source = p!.incident.source!.text;
    expect(text).to.include(source);
    expect(source.split('\n')[0]).to.equal('- 2/5 8:48~9:50 Oracle到TiDB同步链路中断，影响到商户账单生成延迟');
    expect(source.split('\n').pop()).to.equal('    处置：联系系统组进行排查，系统组于9：50完成TiDB服务器文件系统修复，同步链路已经恢复正常。');
    expect(p!.line).to.equal(lineOf(text, '- 2/5 8:48~9:50'));
  });

  it('reads the decrypt entry of week 08: started 2/9 (day), found 2/14 12:04, data repair, error rows, review and three actions', () => {
    const text = report('2023-w08');
    const { proposals, warnings } = parse(text);
    expect(warnings).to.deep.equal([]);
    expect(proposals).to.have.length(1);
    const { incident, warnings: notes } = proposals[0]!;
    const want = fixture('decrypt-failure') as Record<string, any>;
    expect(incident.window).to.deep.equal(want.window);
    expect(incident.dataRepair).to.deep.include({ startedAt: want.dataRepair.startedAt, completedAt: want.dataRepair.completedAt, range: want.dataRepair.range });
    expect(incident.dataRepair?.description).to.equal(want.dataRepair.description);
    const [ratio] = incident.impact!.errorRatios!;
    expect(ratio).to.include({ totalRows: 1496160, errorRows: 6131, stated: '0.409%' });
    expect(incident.detection?.source).to.equal('business_report');
    expect(incident.review).to.deep.equal(want.review);
    expect(incident.actions!.map((a) => a.title)).to.deep.equal(['数据平台底层监控改进', '敏感信息字段解密后的内容格式校验', '简化策略维护节点']);
    expect(incident.actions!.map((a) => a.type)).to.deep.equal(want.actions.map((a: { type: string }) => a.type));
    expect(incident.actions!.every((a) => !a.owner)).to.equal(true);
    expect(incident.source?.reportTitle).to.equal('第08周 2023/02/18');
    expect(text).to.include(incident.source!.text);
    expect(incident.source!.text.split('\n').pop()).to.match(/防止类似情况再次发生。$/);
    // 0.409% is a truncation of 0.40978%: kept as written, with a warning on its own line.
    const ratioWarning = notes.find((n) => n.message.includes('0.409%'))!;
    expect(ratioWarning.message).to.include('0.410%');
    expect(ratioWarning.line).to.equal(lineOf(text, '错误占比0.409%'));
    expect(notes.some((n) => n.message.includes('3 corrective actions'))).to.equal(true);
  });

  it('finds exactly the two incidents in both seed reports pasted one after another, each with its own report', () => {
    const text = `${report('2023-w07')}\n${report('2023-w08')}`;
    const { proposals } = parse(text);
    expect(proposals.map((p) => p.incident.source?.reportTitle)).to.deep.equal(['第07周 2023/02/07', '第08周 2023/02/18']);
    expect(proposals.map((p) => p.incident.window?.startedAt)).to.deep.equal(['2023-02-05T08:48', '2023-02-09']);
    expect(proposals[1]!.line).to.equal(report('2023-w07').split('\n').length + lineOf(report('2023-w08'), '- 2/14 12:04'));
  });

  it('reads across midnight, a date only, a missing 原因, a full-width colon and an AB-level accident, and warns about what it could not place', () => {
    const text = report('2023-w10');
    const { proposals, warnings } = parse(text);
    expect(proposals).to.have.length(3);
    const [night, dateOnly, accident] = proposals.map((p) => p.incident);

    expect(night!.window).to.deep.equal({ startedAt: '2023-03-01T23:40', mitigatedAt: '2023-03-02T00:25', resolvedAt: '2023-03-02T00:25' });
    expect(night!.severity).to.equal('E');

    expect(dateOnly!.window).to.deep.equal({ startedAt: '2023-03-03' });
    expect(dateOnly!.status).to.equal('investigating');
    expect(dateOnly!.cause).to.equal(undefined);
    const dateOnlyNotes = proposals[1]!.warnings.map((w) => `${w.line}: ${w.message}`);
    expect(dateOnlyNotes).to.include(`${lineOf(text, '- 3/3')}: no 原因: the cause is left empty`);
    expect(dateOnlyNotes).to.include(`${lineOf(text, '这一行不属于任何字段')}: not placed in any field (kept in the source text): 这一行不属于任何字段`);
    expect(dateOnlyNotes.some((n) => n.includes('no end time'))).to.equal(true);

    expect(accident!.window).to.deep.equal({ startedAt: '2023-03-06T09:50', mitigatedAt: '2023-03-06T10:20', resolvedAt: '2023-03-06T10:20' });
    expect(accident!.severity).to.equal('A');
    expect(proposals[2]!.warnings.map((w) => w.message)).to.include('the text says AB级: filed as A (the more severe); change it if it was B');
    expect(accident!.dataRepair).to.deep.equal({ description: '失败订单补单', startedAt: '2023-03-06T14:00', completedAt: '2023-03-06T18:30' });
    expect(accident!.impact?.errorRatios).to.deep.equal([{ label: '错误数据', totalRows: 120000, errorRows: 3000, stated: '2.5%' }]);
    expect(accident!.actions!.map((a) => [a.title, a.type])).to.deep.equal([
      ['证书到期监控', 'detect'],
      ['证书续期流程纳入运维日历', 'process'],
    ]);

    // The bullet without a date is named with its line, and the report's next item ends the section.
    expect(warnings.map(({ line, message }) => ({ line, message }))).to.deep.equal([{ line: lineOf(text, '- 缺少日期的条目'), message: 'a bullet without a date: not read as an incident: - 缺少日期的条目' }]);
    expect(proposals[2]!.endLine).to.equal(lineOf(text, '2. 证书续期流程'));
  });

  it('reads all three entries of the issue-25 report: the C-level accident under `3. 事故：`, no heading as an action, 未同步 rows', () => {
    const text = report('2023-w11');
    const { proposals, warnings } = parse(text);
    expect(warnings).to.deep.equal([]);
    expect(proposals).to.have.length(3);
    const [batch, query, accident] = proposals.map((p) => p.incident);
    expect(batch!.severity).to.equal('E');
    expect(batch!.actions!.map((a) => a.title)).to.deep.equal(['归档任务改到凌晨执行', '连接池按任务拆分']);
    expect(query!.window).to.deep.equal({ startedAt: '2023-03-14T09:10', mitigatedAt: '2023-03-14T10:00', resolvedAt: '2023-03-14T10:00' });
    expect(query!.cause?.rootCauses).to.deep.equal(['慢查询未走索引']);
    expect(query!.actions).to.equal(undefined);
    expect(accident!.severity).to.equal('C');
    expect(accident!.title).to.equal('账户2.0余额同步中断，部分账户余额显示不准');
    expect(accident!.window).to.deep.equal({ startedAt: '2023-03-16T10:05', mitigatedAt: '2023-03-16T10:32', resolvedAt: '2023-03-16T10:32' });
    expect(accident!.impact?.errorRatios).to.deep.equal([{ label: '当日账户变动', totalRows: 48210, errorRows: 1207, stated: '2.5%' }]);
    expect(proposals[2]!.warnings.map((w) => w.message).filter((m) => m.includes('%'))).to.deep.equal([]);
    expect(accident!.dataRepair).to.include({ startedAt: '2023-03-16T14:00', completedAt: '2023-03-16T18:20' });
    expect(accident!.actions!.map((a) => a.title)).to.deep.equal(['同步节点磁盘使用率告警', '同步任务失败自动重试']);
    // The outline's `3. 事故：` ends the entry above it, and 【其他】 ends the section.
    expect(proposals[1]!.endLine).to.equal(lineOf(text, '处理：增加索引后恢复'));
    expect(proposals[2]!.endLine).to.equal(lineOf(text, '（2）同步任务失败自动重试'));
    // Every line of each entry is read into a field.
    for (const p of proposals) expect(p.reading.filter((r) => !r.fields.length), `entry at ${p.line}`).to.deep.equal([]);
    expect(proposals[2]!.reading.find((r) => r.line === lineOf(text, '占比2.5%'))?.fields).to.include('errorRatio');
  });

  it('reads each spelling of a window: a second date, 点/分, 下午, 至, a range of days, and names an end before its start', () => {
    const at = (line: string) => {
      const { proposals, warnings } = parse(`# 第21周 2023/05/26\n生产稳定性事件：\n${line}\n  原因：x\n  处置：y\n`);
      return { window: proposals[0]?.incident.window, notes: [...warnings, ...(proposals[0]?.warnings ?? [])].map((w) => w.said.id) };
    };
    expect(at('- 5月17日 21:30～5月18日 02:10 跨天').window).to.deep.equal({ startedAt: '2023-05-17T21:30', mitigatedAt: '2023-05-18T02:10', resolvedAt: '2023-05-18T02:10' });
    expect(at('- 2023-05-17 下午3点 至 下午4点半 下午').window).to.deep.equal({ startedAt: '2023-05-17T15:00', mitigatedAt: '2023-05-17T16:30', resolvedAt: '2023-05-17T16:30' });
    expect(at('- 05/17 9点50分—10点05分 点分').window).to.deep.equal({ startedAt: '2023-05-17T09:50', mitigatedAt: '2023-05-17T10:05', resolvedAt: '2023-05-17T10:05' });
    expect(at('- 5/9~5/12 几天').window).to.deep.equal({ startedAt: '2023-05-09', mitigatedAt: '2023-05-12', resolvedAt: '2023-05-12' });
    const backwards = at('- 5/17 10:00~5/16 9:00 倒序');
    expect(backwards.window).to.deep.equal({ startedAt: '2023-05-17T10:00' });
    expect(backwards.notes).to.include('import.endBeforeStart');
  });

  it('reads row counts in any order and wording, and warns only beyond the written precision', () => {
    const rows = (sentence: string) => {
      const { proposals } = parse(`生产稳定性事件：\n- 3/16 10:00~10:30 x\n  影响：${sentence}\n`);
      const p = proposals[0]!;
      return { ratio: p.incident.impact?.errorRatios?.map(({ totalRows, errorRows, stated }) => [errorRows, totalRows, stated]), notes: p.warnings.map((w) => w.said.id) };
    };
    expect(rows('共48210条，其中未同步状态1207条，占比2.5%')).to.deep.equal({ ratio: [[1207, 48210, '2.5%']], notes: ['import.noCause', 'import.noRemediation'] });
    expect(rows('其中1207笔失败，共48,210笔').ratio).to.deep.equal([[1207, 48210, undefined]]);
    expect(rows('影响1207笔，占当日48210笔的2.50%').ratio).to.deep.equal([[1207, 48210, '2.50%']]);
    expect(rows('失败订单 1207/48210').ratio).to.deep.equal([[1207, 48210, undefined]]);
    expect(rows('共48210条，其中异常1207条，占比2.6%').notes).to.include('import.statedRatio');
    expect(rows('共100条，其中错误300条').notes).to.include('import.moreErrorsThanRows');
    expect(rows('错误占比很高').notes).to.include('import.rowsNotRead');
  });

  it('says its warnings in Chinese too', () => {
    const { proposals } = parse('# 第11周 2023/03/17\n3. 事故：\n- 3/16 10:05 无级别\n');
    const [w] = proposals[0]!.warnings.filter((x) => x.said.id === 'import.noLevel');
    expect(w!.message).to.include('no level');
    expect(localMessage(w!, 'zh-CN')).to.equal('事故的条目和标题都没有写级别：严重级别留空，请选择');
    expect(proposals[0]!.incident.severity).to.equal(undefined);
  });

  it('takes the default severity from the configured levels, and the year from today when no report title dates the text', () => {
    const { proposals, warnings } = parse('生产稳定性事件：\n- 12/30 10:00~10:30 对账延迟\n  原因：磁盘满\n', { severityLevels: ['SEV1', 'SEV2', 'SEV3'] });
    expect(proposals[0]!.incident.severity).to.equal('SEV3');
    expect(proposals[0]!.incident.window?.startedAt).to.equal('2026-12-30T10:00');
    expect(warnings.map((w) => w.line)).to.deep.equal([2]);
  });

  it("reads levels through the team's IMPORT_LEVELS first, without a warning, and leaves an unmapped P1级 empty with one", () => {
    const text = '事故：\n- CD级事故：3/16 10:05~10:32 对账文件延迟\n- P1级故障：3/17 9:00~9:30 网关超时\n- 一级事故：3/18 9:00~9:30 扣款失败\n生产稳定性事件：\n- 3/19 8:00~8:10 同步延迟\n';
    const mapped = parse(text, { levels: { CD: 'D', P1: 'B', 一: 'A', stability: 'D' } }).proposals;
    expect(mapped.map((p) => p.incident.severity)).to.deep.equal(['D', 'B', 'A', 'D']);
    expect(mapped.flatMap((p) => p.warnings.map((w) => w.said.id)).filter((id) => /Level/.test(id))).to.deep.equal([]);
    const unmapped = parse(text).proposals;
    expect(unmapped.map((p) => p.incident.severity)).to.deep.equal(['C', undefined, undefined, 'E']);
    expect(unmapped.map((p) => p.warnings.map((w) => w.said.id).filter((id) => /Level/.test(id)))).to.deep.equal([['import.eitherLevel'], ['import.unknownLevel'], ['import.unknownLevel'], []]);
    expect(unmapped[1]!.warnings.find((w) => w.said.id === 'import.unknownLevel')!.line).to.equal(3);
  });

  it('reads a report in early January as speaking of last December', () => {
    const { proposals } = parse('# 第01周 2024/01/05\n生产稳定性事件：\n- 12/30 10:00~10:30 对账延迟\n');
    expect(proposals[0]!.incident.window?.startedAt).to.equal('2023-12-30T10:00');
  });

  it('gives an entry the same fingerprint whatever its line endings, spacing or full-width signs, and marks a twin', () => {
    const entry = '- 2/5 8:48~9:50 同步中断\n    原因：磁盘满\n';
    expect(fingerprintOf('- 2/5 8：48~9:50 同步中断\r\n原因: 磁盘满')).to.equal(fingerprintOf(entry));
    expect(fingerprintOf('- 2/5 8:48~9:51 同步中断\n原因：磁盘满')).to.not.equal(fingerprintOf(entry));
    const { proposals } = parse(`# 第06周 2023/02/06\n生产稳定性事件：\n${entry}\n# 第07周 2023/02/13\n生产稳定性事件：\n${entry.replace(/\n/g, '\r\n')}`);
    expect(proposals).to.have.length(2);
    expect(proposals[0]!.fingerprint).to.equal(proposals[1]!.fingerprint);
    expect(proposals[1]!.warnings.map((w) => w.message)).to.include('the same text as the entry at line 3: it is filed once');
  });

  it('finds nothing in text without 生产稳定性事件, and names a bullet with an impossible date', () => {
    expect(parse('随便写点什么\n- 2/5 8:48 不在事件段落里').proposals).to.deep.equal([]);
    const { proposals, warnings } = parse('# 第08周 2023/02/18\n生产稳定性事件：\n- 2/30 8:48 不存在的日期\n- 2/14 25:10 不存在的时间\n');
    expect(proposals).to.deep.equal([]);
    expect(warnings.map(({ line, message }) => ({ line, message }))).to.deep.equal([
      { line: 3, message: 'the date or time "2/30" is not a real one: not imported' },
      { line: 4, message: 'the date or time "2/14 25:10" is not a real one: not imported' },
    ]);
  });
});
