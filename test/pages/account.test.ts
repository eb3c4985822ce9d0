import { expect } from 'chai';
import supertest from 'supertest';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { SESSION_COOKIE } from '../../src/http/auth.js';
import { createTestContext, type TestContext } from '../support/context.js';

const PASSWORD = 'an old password of dana';

/** The form token on a page (every page form carries one). */
function formToken(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no _csrf field on the page');
  return token;
}

describe('account pages: sign-in, CSRF, rate limit, redirects', function () {
  this.timeout(60_000);
  let t: TestContext;

  before(async () => {
    t = await createTestContext('pages_account', { DEFAULT_LOCALE: 'en' });
    const dana = await t.services.users.create({ email: 'dana@example.com', name: 'Dana', role: 'editor', locale: 'en' }, SYSTEM_ACTOR);
    await t.services.users.setPassword(dana.id, PASSWORD, SYSTEM_ACTOR);
    const wei = await t.services.users.create({ email: 'wei@example.com', name: '王伟', role: 'editor', locale: 'zh-CN' }, SYSTEM_ACTOR);
    await t.services.users.setPassword(wei.id, PASSWORD, SYSTEM_ACTOR);
  });
  after(() => t.close());

  /** A browser-like agent signed in through the login form, and the form token of its session. */
  async function signedIn(email = 'dana@example.com'): Promise<{ agent: supertest.Agent; token: string }> {
    const agent = supertest.agent(t.app);
    const login = await agent.get('/login').expect(200);
    await agent.post('/login').type('form').send({ _csrf: formToken(login.text), email, password: PASSWORD, next: '/' }).expect(303);
    const page = await agent.get('/account/password').expect(200);
    return { agent, token: formToken(page.text) };
  }

  it('a one-time sign-in link asks first: GETs (a mail scanner\'s too) leave it usable, its button uses it once', async () => {
    const token = await t.services.users.issueSignInLink('dana@example.com');
    const url = `/login/link?token=${encodeURIComponent(token)}`;
    // The scanner: a plain GET, twice, following nothing and keeping no cookies.
    for (let i = 0; i < 2; i++) {
      const scanned = await supertest(t.app).get(url).expect(200);
      expect(String(scanned.headers['set-cookie'] ?? '')).to.not.include(SESSION_COOKIE);
      expect(scanned.text).to.include('You are signing in as dana@example.com.');
    }
    const agent = supertest.agent(t.app);
    const page = await agent.get(url).expect(200);
    await agent.post('/login/link').type('form').send({ token }).expect(403);
    const used = await agent.post('/login/link').type('form').send({ _csrf: formToken(page.text), token }).expect(303);
    expect(String(used.headers['set-cookie'])).to.include(`${SESSION_COOKIE}=`);
    await agent.get('/account/password').expect(200);
    await supertest(t.app).get(url).expect(410);
    const other = supertest.agent(t.app);
    const login = await other.get('/login').expect(200);
    await other.post('/login/link').type('form').send({ _csrf: formToken(login.text), token }).redirects(1).expect(410);
  });

  it('pages need sign-in: GET / without a session is sent to /login?next=%2F', async () => {
    const res = await supertest(t.app).get('/').expect(303);
    expect(res.headers.location).to.equal('/login?next=%2F');
    expect((await supertest(t.app).get('/actions?x=1').expect(303)).headers.location).to.equal('/login?next=%2Factions%3Fx%3D1');
    expect((await supertest(t.app).get('/account/password').expect(303)).headers.location).to.equal('/login?next=%2Faccount%2Fpassword');
  });

  it('a password change without the form token is refused (403) and the password stays', async () => {
    const { agent, token } = await signedIn();
    await agent.post('/account/password').type('form').send({ password: 'a brand new password' }).expect(403);
    await agent.post('/account/password').type('form').send({ _csrf: 'forged', password: 'a brand new password' }).expect(403);
    expect(await t.services.users.checkPassword('dana@example.com', PASSWORD)).to.not.equal(undefined);
    expect(await t.services.users.checkPassword('dana@example.com', 'a brand new password')).to.equal(undefined);

    // With the token the same form works (so the 403s above were the token, not the request).
    // Set, the person goes to their home page, which says so.
    const set = await agent.post('/account/password').type('form').send({ _csrf: token, password: 'a brand new password' }).expect(303);
    expect(set.headers.location).to.equal('/me?password=set');
    expect((await agent.get(set.headers.location!).expect(200)).text).to.include('Your password is set.');
    expect(await t.services.users.checkPassword('dana@example.com', 'a brand new password')).to.not.equal(undefined);
    const dana = await t.services.users.find('dana@example.com');
    await t.services.users.setPassword(String(dana._id), PASSWORD, SYSTEM_ACTOR);
  });

  it('sign-out without the form token is refused (403) and the session stays', async () => {
    const { agent, token } = await signedIn();
    await agent.post('/logout').type('form').send({}).expect(403);
    await agent.get('/').expect(200);

    const out = await agent.post('/logout').type('form').send({ _csrf: token }).expect(303);
    expect(out.headers.location).to.equal('/login');
    expect(String(out.headers['set-cookie'])).to.include(`${SESSION_COOKIE}=;`);
    await agent.get('/').expect(303);
  });

  it('the API refuses a write that rides on the session cookie without the CSRF token', async () => {
    const { agent } = await signedIn();
    await agent.post('/api/v1/incidents').send({ title: 'Forged', severity: 'D' }).expect(403);
    expect((await t.api.get('/api/v1/incidents?q=Forged').expect(200)).body.total).to.equal(0);
  });

  it('does not follow a next= that leaves the site', async () => {
    const agent = supertest.agent(t.app);
    for (const next of ['//evil.example', '//evil.example/path', 'https://evil.example/', '/\\evil.example', ' //evil.example']) {
      const page = await agent.get(`/login?next=${encodeURIComponent(next)}`).expect(200);
      // Only the language switch repeats the page's own address; the form goes nowhere but home.
      const form = /<form class="stack" method="post" action="\/login">[\s\S]*?<\/form>/.exec(page.text)?.[0] ?? '';
      expect(form).to.include('name="next" value="/"').and.not.include('evil.example');
      const res = await agent.post('/login').type('form').send({ _csrf: formToken(page.text), email: 'dana@example.com', password: PASSWORD, next }).expect(303);
      expect(res.headers.location, next).to.equal('/');
    }
    // A local path is followed.
    const page = await agent.get('/login?next=%2Factions').expect(200);
    const res = await agent.post('/login').type('form').send({ _csrf: formToken(page.text), email: 'dana@example.com', password: PASSWORD, next: '/actions' }).expect(303);
    expect(res.headers.location).to.equal('/actions');
  });

  it('answers a page for an unknown incident with a readable 404 page, and the API with JSON', async () => {
    const { agent } = await signedIn();
    const page = await agent.get('/incidents/INC-1999-0001').set('accept', 'text/html').expect(404);
    expect(page.headers['content-type']).to.match(/text\/html/);
    expect(page.text).to.contain('<title>404 Not found · Debrief</title>').and.contain('Incident INC-1999-0001 not found');
    // A zh-CN reader gets the page in Chinese, the message too; the API keeps the service's message.
    const wei = await signedIn('wei@example.com');
    const zh = await wei.agent.get('/incidents/INC-1999-0001').set('accept', 'text/html').expect(404);
    expect(zh.text).to.contain('<title>404 未找到 · Debrief</title>').and.contain('<a href="/incidents">事件</a>').and.contain('此地址没有内容').and.not.contain('not found');
    const api = await t.api.get('/api/v1/incidents/INC-1999-0001').expect(404);
    expect(api.body.error.code).to.equal('not_found');
  });

  it('the pages speak the reader\'s locale: Dana (en) and Wei (zh-CN) see the same pages in their own words', async () => {
    const dana = await signedIn('dana@example.com');
    const en = (await dana.agent.get('/').expect(200)).text;
    expect(en).to.include('<html lang="en">').and.include('<a href="/incidents">Incidents</a>').and.include('<a href="/actions">Actions</a>');
    expect(en).to.include('<h1>Incidents</h1>').and.include('Dana (editor)').and.include('>Sign out</button>');
    // The only Chinese on an English page is the switch to Chinese, in its own language.
    expect(en).to.include('lang="zh-CN">中文</button>');
    expect(en.replace('>中文</button>', '')).not.to.match(/[\u4e00-\u9fff]/);

    const wei = await signedIn('wei@example.com');
    const zh = (await wei.agent.get('/').expect(200)).text;
    expect(zh).to.include('<html lang="zh-CN">').and.include('<a href="/incidents">事件</a>').and.include('<a href="/actions">改进措施</a>');
    expect(zh).to.include('<a href="/reports/weekly">周报</a>').and.include('<a href="/incidents/new">新建事件</a>').and.include('王伟 (编辑)').and.include('>退出登录</button>');
    expect(zh).to.include('<h1>事件</h1>').and.include('<th scope="col">编号</th><th scope="col">标题</th><th scope="col">级别</th><th scope="col">状态</th>').and.include('共 0 个事件').and.include('暂无事件。');
    expect(zh).not.to.match(/>(Incidents|Actions|Sign out|Search)</);

    const actions = (await wei.agent.get('/actions').expect(200)).text;
    expect(actions).to.include('<title>改进措施 · Debrief</title>').and.include('<h1>未完成的改进措施</h1>').and.include('0 项未完成 · 0 项已逾期 · 0 项未认领');
    const password = (await wei.agent.get('/account/password').expect(200)).text;
    expect(password).to.include('<h1>设置密码</h1>').and.include('新密码（至少 12 个字符）');
    const short = await wei.agent.post('/account/password').type('form').send({ _csrf: wei.token, password: 'short' }).redirects(1).expect(422);
    expect(short.text).to.include('<p class="error" role="alert">密码至少需要 12 个字符。</p>');
    const shortEn = await dana.agent.post('/account/password').type('form').send({ _csrf: dana.token, password: 'short' }).redirects(1).expect(422);
    expect(shortEn.text).to.include('<p class="error" role="alert">Password must be at least 12 characters.</p>');
  });

  it('before sign-in the page follows Accept-Language when it names en or zh, else DEFAULT_LOCALE', async () => {
    const zh = await supertest(t.app).get('/login').set('accept-language', 'zh-CN,zh;q=0.9,en;q=0.8').expect(200);
    expect(zh.headers.vary).to.match(/Accept-Language/i);
    expect(zh.text).to.include('<html lang="zh-CN">').and.include('<title>登录 · Debrief</title>').and.include('<h1>登录</h1>');
    expect(zh.text).to.include('<label for="email">邮箱</label>').and.include('<label for="password">密码</label>').and.include('>登录</button>');
    expect(zh.text).to.include('还没有密码？请管理员发一个登录链接。');

    // This test's DEFAULT_LOCALE is en: no header, or one naming neither language, gives English.
    for (const header of [undefined, 'fr-FR,de;q=0.8']) {
      const req = supertest(t.app).get('/login');
      const page = await (header ? req.set('accept-language', header) : req).expect(200);
      expect(page.text, header).to.include('<html lang="en">').and.include('<h1>Sign in</h1>');
    }
    expect((await supertest(t.app).get('/login').set('accept-language', 'fr, zh-TW;q=0.5').expect(200)).text).to.include('<h1>登录</h1>');

    // A wrong password is told in the browser's language; an expired link too.
    const agent = supertest.agent(t.app);
    const token = formToken((await agent.get('/login').set('accept-language', 'zh-CN').expect(200)).text);
    const wrong = await agent.post('/login').set('accept-language', 'zh-CN').type('form').send({ _csrf: token, email: 'nobody@example.com', password: 'not it at all', next: '/' }).redirects(1).expect(401);
    expect(wrong.text).to.include('<p class="error" role="alert">邮箱或密码错误。</p>');
    const link = await supertest(t.app).get('/login/link?token=nope').set('accept-language', 'zh-CN').expect(410);
    expect(link.text).to.include('<h1>链接无效</h1>').and.include('这个登录链接无效、已用过或已过期。');
  });

  it('rate-limits the sign-in form: the 11th wrong attempt for one email gets 429', async () => {
    const agent = supertest.agent(t.app);
    // Dana has signed in several times above: successful sign-ins do not count toward the limit.
    const token = formToken((await agent.get('/login').expect(200)).text);
    const attempt = (email: string, password: string) => agent.post('/login').type('form').send({ _csrf: token, email, password, next: '/' }).redirects(1);
    for (let i = 1; i <= 10; i++) {
      const res = await attempt('dana@example.com', `guess number ${i}`);
      expect(res.status, `attempt ${i}`).to.equal(401);
      expect(res.text).to.include('Wrong email or password.');
    }
    const limited = await attempt('Dana@Example.com', 'guess number 11').expect(429);
    expect(limited.text).to.include('Too many attempts');
    // Even the right password waits now; another address is not held up.
    await attempt('dana@example.com', PASSWORD).expect(429);
    await attempt('erin@example.com', 'whatever it is').expect(401);
  });

});
