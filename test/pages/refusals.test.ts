import { expect } from 'chai';
import supertest from 'supertest';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import type { Locale } from '../../src/lib/config.js';
import type { Role } from '../../src/users/permissions.js';
import { createTestContext, type TestContext } from '../support/context.js';

const PASSWORD = 'a long enough password';

function formToken(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no _csrf field on the page');
  return token;
}

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
    for (const [email, role, locale] of people) {
      const user = await t.services.users.create({ email, name: email.split('@')[0]!, role, locale }, SYSTEM_ACTOR);
      await t.services.users.setPassword(user.id, PASSWORD, SYSTEM_ACTOR);
    }
  });
  after(() => t.close());

  async function signedIn(email: string): Promise<{ agent: supertest.Agent; token: string }> {
    const agent = supertest.agent(t.app);
    const login = await agent.get('/login').expect(200);
    await agent.post('/login').type('form').send({ _csrf: formToken(login.text), email, password: PASSWORD, next: '/' }).expect(303);
    return { agent, token: formToken((await agent.get('/').expect(200)).text) };
  }

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
