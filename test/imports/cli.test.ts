import { expect } from 'chai';
import path from 'node:path';
import { connectDb } from '../../src/lib/db.js';
import { serverUri } from '../support/hooks.js';
import { runScript } from '../support/scripts.js';
import { REPORTS_DIR } from './reports.js';

const runImport = (args: string[], dbUri: string) => runScript('import', args, { MONGODB_URI: dbUri, DEFAULT_TIMEZONE: 'Asia/Shanghai' });

describe('npm run import', function () {
  this.timeout(60_000);
  let dbUri: string;
  const seeds = [path.join(REPORTS_DIR, '2023-w07.txt'), path.join(REPORTS_DIR, '2023-w08.txt')];

  before(async () => {
    const url = new URL(serverUri());
    url.pathname = '/test_imports_cli';
    dbUri = url.toString();
    const conn = await connectDb(dbUri);
    await conn.dropDatabase();
    await conn.close();
  });

  it('stops with exit code 2 and one line when a file cannot be read, before writing anything', async () => {
    const { code, stdout, stderr } = await runImport([seeds[0]!, 'no-such-report.md', '--apply'], dbUri);
    expect(code).to.equal(2);
    expect(stderr.trim().split('\n')).to.deep.equal(['import: cannot read no-such-report.md: ENOENT']);
    expect(stdout).to.equal('');
  });

  it('prints the proposals and warnings as a table, files them with --apply, and files nothing the second time', async () => {
    const preview = await runImport(seeds, dbUri);
    expect(preview.code).to.equal(0);
    expect(preview.stdout).to.match(/2023-w07\.txt:64\s+new\s+E\s+2023-02-05T08:48\s+2023-02-05T09:50\s+0\s+Oracle到TiDB同步链路中断/);
    expect(preview.stdout).to.match(/2023-w08\.txt:87\s+new\s+E\s+2023-02-09\s+2023-02-15T15:00\s+3\s+业务方反馈/);
    expect(preview.stdout).to.include('2023-w08.txt:96: the report says 0.409% but 6131 / 1496160 rows is 0.410%');
    expect(preview.stdout.trim().split('\n').pop()).to.equal('2 to file, 0 already imported: nothing written; add --apply to file them');

    const applied = await runImport([...seeds, '--apply'], dbUri);
    expect(applied.code).to.equal(0);
    expect(applied.stdout).to.match(/2023-w07\.txt:64\s+filed\s+INC-2023-0001/);
    expect(applied.stdout).to.match(/2023-w08\.txt:87\s+filed\s+INC-2023-0002/);
    expect(applied.stdout.trim().split('\n').pop()).to.equal('filed 2, already imported 0');

    const again = await runImport([...seeds, '--apply'], dbUri);
    expect(again.stdout).to.match(/2023-w08\.txt:87\s+imported\s+INC-2023-0002/);
    expect(again.stdout.trim().split('\n').pop()).to.equal('filed 0, already imported 2');
  });
});
