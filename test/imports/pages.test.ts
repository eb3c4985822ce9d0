import { expect } from 'chai';
import supertest from 'supertest';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { report } from './reports.js';

const PASSWORD = 'a long enough password';

const unescape = (s: string) =>
  s.replace(/&(lt|gt|quot|#x27|#x60|#x3D|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', '#x27': "'", '#x60': '`', '#x3D': '=', amp: '&' })[e]!);

/** What a browser would post from the page's form at `action`: inputs, ticked boxes, textareas, chosen options. */
function formFields(html: string, action: string): [string, string][] {
  const form = new RegExp(`<form[^>]*action="${action}"[^>]*>([\\s\\S]*?)</form>`).exec(html)?.[1];
  if (!form) throw new Error(`no form posting to ${action}`);
  const fields: [string, string][] = [];
  for (const m of form.matchAll(/<input ([^>]*)>|<textarea [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>|<select [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    if (m[1] !== undefined) {
      const attr = (a: string) => new RegExp(`${a}="([^"]*)"`).exec(m[1]!)?.[1];
      if (attr('type') === 'checkbox' && !/\bchecked\b/.test(m[1])) continue;
      if (attr('type') === 'file' || !attr('name')) continue;
      fields.push([attr('name')!, unescape(attr('value') ?? '')]);
    } else if (m[2] !== undefined) {
      fields.push([m[2], unescape(m[3]!)]);
    } else {
      const chosen = /<option value="([^"]*)" selected>/.exec(m[5]!)?.[1] ?? /<option value="([^"]*)"/.exec(m[5]!)?.[1] ?? '';
      fields.push([m[4]!, unescape(chosen)]);
    }
  }
  return fields;
}

function postForm(agent: supertest.Agent, url: string, fields: [string, string][]): supertest.Test {
  let req = agent.post(url);
  for (const [name, value] of fields) req = req.field(name, value);
  return req;
}

const notice = (html: string) => /<div class="notice" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1]?.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() ?? '';

describe('import page', function () {
  this.timeout(60_000);
  let t: TestContext;
  before(async () => {
    t = await createTestContext('imports_pages', { DEFAULT_LOCALE: 'en', DEFAULT_TIMEZONE: 'Asia/Shanghai' });
    for (const [email, role, locale] of [
      ['ed@example.com', 'editor', 'en'],
      ['vic@example.com', 'viewer', 'en'],
      ['mei@example.com', 'editor', 'zh-CN'],
    ] as const) {
      const user = await t.services.users.create({ email, name: email.split('@')[0]!, role, locale }, SYSTEM_ACTOR);
      await t.services.users.setPassword(user.id, PASSWORD, SYSTEM_ACTOR);
    }
  });
  after(() => t.close());

  async function signedIn(email: string) {
    const agent = supertest.agent(t.app);
    const login = await agent.get('/login').expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!;
    await agent.post('/login').type('form').send({ _csrf: token, email, password: PASSWORD, next: '/' }).expect(303);
    return agent;
  }
  const count = async () => (await t.api.get('/api/v1/incidents').expect(200)).body.total as number;

  it('uploads both seed reports, shows each proposal beside its numbered source lines and warnings, and files only the ticked, corrected entry', async () => {
    const ed = await signedIn('ed@example.com');
    const page = await ed.get('/imports').expect(200);
    expect(page.text).to.include('enctype="multipart/form-data"').and.include('name="files" type="file" multiple');
    const csrf = formFields(page.text, '/imports/preview').find(([n]) => n === '_csrf')![1];

    const preview = await ed
      .post('/imports/preview')
      .field('_csrf', csrf)
      .field('text', '')
      .field('timezone', 'Asia/Shanghai')
      .attach('files', Buffer.from(report('2023-w07')), '第07周.md')
      .attach('files', Buffer.from(`\uFEFF${report('2023-w08')}`), '第08周.txt')
      .expect(200);
    expect(preview.text).to.include('2 entries: 2 to file, 0 imported before');
    // Each source line with its number and the fields it filled.
    expect(preview.text).to.include('<td class="n">64</td><td><pre>- 2/5 8:48~9:50 Oracle到TiDB同步链路中断，影响到商户账单生成延迟</pre></td><td class="fields">times · title</td>');
    expect(preview.text).to.match(/<pre>    原因：TiDB服务器文件系统故障[^<]*<\/pre><\/td><td class="fields">cause<\/td>/);
    expect(preview.text).to.match(/<pre>    3\. 简化策略维护节点[^<]*<\/pre><\/td><td class="fields">corrective action<\/td>/);
    expect(preview.text).to.include('value="2023-02-09"').and.include('value="2023-02-14T12:04"');
    expect(preview.text).to.include('the report says 0.409% but 6131 / 1496160 rows is 0.410%');
    expect(preview.text).to.include('数据平台底层监控改进');
    expect(await count()).to.equal(0);

    // Untick the TiDB entry, correct the decrypt entry's title, import.
    const fields = formFields(preview.text, '/imports')
      .filter(([n, v]) => !(n === 'include' && v === '0'))
      .map(([n, v]): [string, string] => (n === 'e1.title' ? [n, '对账单明细对手方信息显示【解密服务初始化失败】'] : [n, v]));
    const done = await postForm(ed, '/imports', fields).expect(200);
    expect(done.text).to.include('1 filed, 0 imported before.');
    expect(done.text).to.include('<a href="/incidents/INC-2023-0001">INC-2023-0001</a>');
    const filed = (await t.api.get('/api/v1/incidents/INC-2023-0001').expect(200)).body;
    expect(filed.title).to.equal('对账单明细对手方信息显示【解密服务初始化失败】');
    expect(filed.window).to.deep.equal({ startedAt: '2023-02-09', detectedAt: '2023-02-14T12:04', resolvedAt: '2023-02-15T15:00' });
    expect(filed.actions).to.have.length(3);
    expect(await count()).to.equal(1);

    // The same form again: the decrypt entry is known, the TiDB one (ticked now) is filed.
    const again = await postForm(ed, '/imports', [...fields, ['include', '0']]).expect(200);
    expect(again.text).to.include('1 filed, 1 imported before.');
    expect(await count()).to.equal(2);
    const rePreview = await postForm(ed, '/imports/preview', [['_csrf', csrf], ['text', report('2023-w08')]]).expect(200);
    expect(rePreview.text).to.include('<span class="badge">imported before</span> <a href="/incidents/INC-2023-0001">INC-2023-0001</a>');
    expect(rePreview.text).to.not.include('name="include"');
  });

  it('shows a correction the API would refuse on the entry, files nothing, and keeps what was typed', async () => {
    const ed = await signedIn('ed@example.com');
    const csrf = formFields((await ed.get('/imports').expect(200)).text, '/imports/preview').find(([n]) => n === '_csrf')![1];
    const preview = await postForm(ed, '/imports/preview', [['_csrf', csrf], ['text', report('2023-w10')]]).expect(200);
    const before = await count();
    const fields = formFields(preview.text, '/imports').map(([n, v]): [string, string] => (n === 'e0.resolvedAt' ? [n, '2023-03-01T20:00'] : [n, v]));
    const res = await postForm(ed, '/imports', fields).redirects(1).expect(422);
    expect(notice(res.text)).to.include('Cannot be filed as it is');
    expect(res.text).to.include('window.resolvedAt: must not be before window.startedAt (2023-03-01T23:40)');
    expect(res.text).to.include('value="2023-03-01T20:00"');
    expect(await count()).to.equal(before);
  });

  it('refuses a file that is not .md or .txt, and a post without the form token, filing nothing', async () => {
    const ed = await signedIn('ed@example.com');
    const csrf = formFields((await ed.get('/imports').expect(200)).text, '/imports/preview').find(([n]) => n === '_csrf')![1];
    const before = await count();
    const pdf = await ed.post('/imports/preview').field('_csrf', csrf).attach('files', Buffer.from('%PDF-1.4'), 'report.pdf').redirects(1).expect(400);
    expect(notice(pdf.text)).to.include('report.pdf: only .md and .txt files can be imported');
    const empty = await postForm(ed, '/imports/preview', [['_csrf', csrf], ['text', '  ']]).redirects(1).expect(400);
    expect(notice(empty.text)).to.include('Paste the text of a weekly report or choose a file.');
    const none = await postForm(ed, '/imports/preview', [['_csrf', csrf], ['text', '# 第09周 2023/03/03\n本周无事']]).redirects(1).expect(422);
    expect(notice(none.text)).to.include('No incident entry (生产稳定性事件, 事故, 故障) found');
    await postForm(ed, '/imports', [['text', report('2023-w10')], ['include', '0']]).expect(403);
    expect(await count()).to.equal(before);
  });

  it('is for editors: a viewer is refused, and a Chinese-speaking editor reads the page in Chinese', async () => {
    const vic = await signedIn('vic@example.com');
    const refused = await vic.get('/imports').expect(403);
    expect(refused.text).to.include('A viewer may not do this');
    expect((await vic.get('/').expect(200)).text).to.not.include('href="/imports"');
    const mei = await signedIn('mei@example.com');
    const page = await mei.get('/imports').expect(200);
    expect(page.text).to.include('<h1>导入周报</h1>').and.include('预览');
  });
});
