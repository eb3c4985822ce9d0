import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { serverUri } from '../support/hooks.js';
import { runScript } from '../support/scripts.js';

const run = (script: string, args: string[], dbUri: string) => runScript(script, args, { MONGODB_URI: dbUri, DEFAULT_TIMEZONE: 'Asia/Shanghai', WEEK_NUMBERING: 'jan1' });

describe('npm run report and npm run export', function () {
  this.timeout(90_000);
  let t: TestContext;
  let dbUri: string;
  before(async () => {
    t = await createTestContext('reports_cli', { WEEK_NUMBERING: 'jan1' });
    for (const name of ['tidb-sync', 'decrypt-failure'] as const) await t.api.post('/api/v1/incidents').send(fixture(name)).expect(201);
    const url = new URL(serverUri());
    url.pathname = '/test_reports_cli';
    dbUri = url.toString();
  });
  after(() => t.close());

  it("with the seed's success rates recorded, --week 2023-08 --locale zh-CN prints the 第08周 section as the API does; --week 2023-07 lists the TiDB incident only", async () => {
    const rates = [
      ['2023-07', '入金有效成功率', '99.99'],
      ['2023-07', '出金有效成功率', '99.95'],
      ['2023-08', '入金有效成功率', '99.94', '受微信APP风控事件影响，成功率降低'],
      ['2023-08', '出金有效成功率', '99.93'],
    ];
    for (const [week, flow, value, note] of rates) {
      const recorded = await run('report', ['record', '--week', week!, '--flow', flow!, '--value', value!, ...(note ? ['--note', note] : [])], dbUri);
      expect(recorded.code, recorded.stderr).to.equal(0);
    }
    const w08 = await run('report', ['--week', '2023-08', '--locale', 'zh-CN'], dbUri);
    expect(w08.code, w08.stderr).to.equal(0);
    // The same text as the seed-weeks golden, which the API renders.
    expect(w08.stdout.replace(/生成于 .*。/, '生成于 …。')).to.equal(readFileSync('test/golden/seed-week-2023-08.zh-CN.md', 'utf8'));
    const w07 = await run('report', ['--week', '2023-07', '--locale', 'zh-CN'], dbUri);
    expect(w07.stdout).to.contain('- 2/5 8:48~9:50 Oracle 到 TiDB 同步链路中断').and.not.contain('解密');
    const json = JSON.parse((await run('report', ['--from', '2023-01-01', '--to', '2023-03-31', '--format', 'json'], dbUri)).stdout);
    expect(json.stabilityEvents.count).to.equal(2);
  });

  it('refuses a bad week or option with exit code 2 naming it', async () => {
    const bad = await run('report', ['--week', '2023-60'], dbUri);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.split('\n')[0]).to.equal('--week: no such week; must be a week like 2023-08 (week 1 holds 1 January)');
    const value = await run('report', ['record', '--week', '2023-08', '--flow', 'x', '--value', 'lots'], dbUri);
    expect(value.code).to.equal(2);
    expect(value.stderr).to.match(/^--value: /);
  });

  it('exports incidents as CSV with a BOM to stdout (no progress bar off a terminal), and refuses an unknown filter', async () => {
    const csv = await run('export', ['incidents', '--format', 'csv', '--severity', 'E'], dbUri);
    expect(csv.code, csv.stderr).to.equal(0);
    expect(csv.stdout.charCodeAt(0)).to.equal(0xfeff);
    expect(csv.stdout.trim().split('\r\n')).to.have.length(3);
    expect(csv.stderr).to.equal('');
    const bad = await run('export', ['incidents', '--colour', 'red'], dbUri);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain("Unknown option '--colour'");
  });
});
