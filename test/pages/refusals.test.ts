import { expect } from 'chai';
import supertest from 'supertest';
import type { Locale } from '../../src/lib/config.js';
import type { Role } from '../../src/users/permissions.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { addPeople, signedIn as signedInAs } from './helpers.js';



/** About 12,000 Chinese characters of 处置经过, as a long postmortem has (over 100 KB URL-encoded). */
const LONG_ZH = '先回滚支付网关再扩容连接池并重启同步任务。'.repeat(600).slice(0, 12_000);

describe('refused page forms: kept at their own address, in the reader language', function () {
  this.timeout(60_000);
  let t: TestContext;
  const people: [string, Role, Locale][] = [
    ['mei@example.com', 'editor', 'zh-CN'],
    ['ed@example.com', 'editor', 'en'],
  ];

  before(async () => {
    t = await createTestContext('pages_refusals', { DEFAULT_LOCALE: 'en', DEFAULT_TIMEZONE: 'Asia/Shanghai' });
    await addPeople(t, people);
  });
  after(() => t.close());

  const signedIn = (email: string) => signedInAs(t.app, email);

  const filing = (token: string, extra: Record<string, string> = {}) => ({
    _csrf: token,
    title: '支付网关超时',
    severity: 'B',
    status: 'investigating',
    timezone: 'Asia/Shanghai',
    startedAt: '2026-11-24T10:00',
    remediation: LONG_ZH,
    ...extra,
  });

  it('files a 12,000-character 处置经过 from the page form, as the API would take it', async () => {
    expect(Buffer.byteLength(encodeURIComponent(LONG_ZH))).to.be.greaterThan(100 * 1024);
    const { agent, token } = await signedIn('mei@example.com');
    const res = await agent.post('/incidents/new').type('form').send(filing(token)).expect(303);
    const key = /^\/incidents\/(INC-\d{4}-\d{4})$/.exec(res.headers.location!)?.[1];
    expect(key, res.headers.location).to.be.a('string');
    const api = await t.api.get(`/api/v1/incidents/${key}`).expect(200);
    expect(JSON.stringify(api.body)).to.include(LONG_ZH);
  });

  it('shows a refused form at its GET address with everything typed, again on reload, and to nobody else', async () => {
    const { agent, token } = await signedIn('mei@example.com');
    const before = (await t.api.get('/api/v1/incidents').expect(200)).body;
    const res = await agent.post('/incidents/new').type('form').send(filing(token, { title: '   ' })).expect(303);
    expect(res.headers.location).to.match(/^\/incidents\/new\?refused=[\w-]{20,}$/);
    for (const attempt of ['first', 'reload']) {
      const page = await agent.get(res.headers.location!).expect(400);
      expect(page.headers['cache-control'], attempt).to.equal('no-store');
      expect(page.text, attempt).to.include(`>${LONG_ZH}</textarea>`).and.include('请修改下面标出的字段');
      // The language switch goes back to the form itself, never to the POST route or the kept page.
      expect(page.text).to.include('name="next" value="/incidents/new"');
    }
    const ed = await signedIn('ed@example.com');
    const theirs = await ed.agent.get(res.headers.location!).expect(200);
    expect(theirs.text).not.to.include(LONG_ZH);
    expect((await t.api.get('/api/v1/incidents').expect(200)).body).to.deep.equal(before);
  });

  it('shows a refusal of a form on the incident page (an empty comment) at the incident page', async () => {
    const { agent, token } = await signedIn('mei@example.com');
    const { key } = (await t.api.post('/api/v1/incidents').send({ title: 'Checkout latency', severity: 'C' }).expect(201)).body;
    const res = await agent.post(`/incidents/${key}/comments`).type('form').send({ _csrf: token, section: 'impact', body: '' }).expect(303);
    expect(res.headers.location).to.match(new RegExp(`^/incidents/${key}\\?refused=`));
    const page = await agent.get(res.headers.location!).expect(400);
    expect(page.text).to.include('<html lang="zh-CN">').and.include('<a href="/incidents">事件</a>');
  });

  it('sends a body too large to read back to the form, which says so in Chinese and restores what the browser kept', async () => {
    const { agent, token } = await signedIn('mei@example.com');
    const huge = '处'.repeat(400_000); // 3.6 MB URL-encoded, over the 3 MB page form limit
    const res = await agent.post('/incidents/new').set('accept', 'text/html').type('form').send(filing(token, { remediation: huge })).expect(303);
    expect(res.headers.location).to.equal('/incidents/new?tooLarge=1');
    const page = await agent.get(res.headers.location!).expect(200);
    expect(page.text).to.include('<body data-restore-forms>').and.include('提交的内容过大').and.include('<script src="/assets/forms.js" defer>');
    const script = await agent.get('/assets/forms.js').expect(200);
    expect(script.headers['content-type']).to.match(/javascript/);
  });

  it('says service refusals in Chinese on a zh-CN page: reviewers, by their place in the list', async () => {
    const { agent, token } = await signedIn('mei@example.com');
    const { key } = (await t.api.post('/api/v1/incidents').send({ title: '对账延迟', severity: 'C', impact: { summary: '对账晚了 2 小时' }, cause: { trigger: '批任务卡住' } }).expect(201)).body;
    const res = await agent.post(`/incidents/${key}/review/request`).type('form').send({ _csrf: token, reviewers: 'mei@example.com, nobody@example.com', noActionReason: '无需措施' }).expect(303);
    const page = await agent.get(res.headers.location!).expect(422);
    expect(page.text).to.include('评审人不符合要求').and.include('第 1 位评审人: mei@example.com 是本复盘的作者，不能评审').and.include('第 2 位评审人: nobody@example.com 不是本系统的用户');
    expect(page.text).not.to.include('Reviewers refused');
  });

  it('refuses closing with open actions by the status field, naming each action, in the API client language', async () => {
    const { key } = (await t.api.post('/api/v1/incidents').send({ title: 'Checkout latency', severity: 'C', status: 'resolved', window: { startedAt: '2026-11-24T10:00:00+08:00', resolvedAt: '2026-11-24T12:00:00+08:00' }, actions: [{ title: 'Add a latency SLO alert' }] }).expect(201)).body;
    const en = await t.api.patch(`/api/v1/incidents/${key}`).send({ version: 0, status: 'closed' }).expect(409);
    expect(en.body.error.message).to.include(`${key}-A1 Add a latency SLO alert`);
    expect(en.body.error.fields).to.deep.equal([{ field: 'status', message: `Open corrective actions: ${key}-A1 Add a latency SLO alert` }]);
    const zh = await t.api.patch(`/api/v1/incidents/${key}`).set('accept-language', 'zh-CN,zh;q=0.9').send({ version: 0, status: 'closed' }).expect(409);
    expect(zh.body.error.message).to.equal(`事件 ${key} 还有 1 项未完成的改进措施：${key}-A1 Add a latency SLO alert。请先关闭、验证或放弃这些措施。`);
    expect(zh.headers.vary).to.match(/Accept-Language/i);

    // On the zh-CN edit form the status field is marked with the action named.
    const { agent, token } = await signedIn('mei@example.com');
    const form = (await agent.get(`/incidents/${key}/edit`).expect(200)).text;
    // The form as the browser sends it, every field as shown, with the status changed.
    const edit = /<form[^>]*action="\/incidents\/[^"]+\/edit"[\s\S]*?<\/form>/.exec(form)![0];
    const fields: Record<string, string> = {};
    for (const [tag] of edit.matchAll(/<input[^>]*>/g)) {
      const name = / name="(\w+)"/.exec(tag)?.[1];
      if (name) fields[name] = / value="([^"]*)"/.exec(tag)?.[1] ?? '';
    }
    const selected = Object.fromEntries([...form.matchAll(/<select[^>]*name="(\w+)"[^>]*>([\s\S]*?)<\/select>/g)].map((m) => [m[1]!, /<option value="([^"]*)"[^>]*selected/.exec(m[2]!)?.[1] ?? '']));
    const res = await agent.post(`/incidents/${key}/edit`).type('form').send({ ...fields, ...selected, _csrf: token, status: 'closed' }).expect(303);
    const page = await agent.get(res.headers.location!).expect(409);
    expect(page.text).to.include(`未完成的改进措施：${key}-A1 Add a latency SLO alert`);
  });

  it('answers a method a page does not take with a 405 page that has the navigation, in the reader language', async () => {
    const { agent } = await signedIn('mei@example.com');
    const res = await agent.put('/incidents/new').set('accept', 'text/html').expect(405);
    expect(res.headers.allow).to.include('GET').and.include('POST');
    expect(res.text).to.include('<html lang="zh-CN">').and.include('<nav').and.include('<a href="/incidents">事件</a>');
    expect(res.text).to.include('405 不支持的请求方法').and.include('此地址不接受这种请求');
    // Before sign-in, the browser's language.
    const anonymous = await supertest(t.app).delete('/login').set('accept', 'text/html').set('accept-language', 'zh-CN').expect(405);
    expect(anonymous.text).to.include('此地址不接受这种请求');
  });

  it('serves /favicon.ico', async () => {
    const res = await supertest(t.app).get('/favicon.ico').expect(200);
    expect(res.headers['content-type']).to.match(/^image\/svg\+xml/);
    expect(String(res.body ?? res.text)).to.include('<svg');
  });
});
