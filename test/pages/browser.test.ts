import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { SESSION_COOKIE } from '../../src/http/auth.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

/** Debian's Chromium (scripts/setup.sh installs it when it can); playwright's own download is not used. */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const XSS = '<img src=x onerror=alert(1)>';

describe('pages in a browser (Chromium)', function () {
  this.timeout(60_000);
  let t: TestContext;
  let server: RunningServer;
  let browser: Browser;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let dialogs: string[];
  const keys: Record<string, string> = {};

  /** A signed-in browser for people the test made, without going through the login form again. */
  const signInAs = async (email: string) => {
    const user = await t.services.users.find(email);
    const session = await t.services.users.startSession(String(user._id));
    await context.addCookies([{ name: SESSION_COOKIE, value: session, url: base }]);
  };

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      const reason = `Chromium is missing at ${CHROMIUM}: install the Debian package (as root: apt-get update && apt-get install -y chromium, which scripts/setup.sh does when it can); browser tests skipped`;
      console.log(`\n    SKIPPED: ${reason}\n`);
      this.skip();
    }
    t = await createTestContext('pages_browser');
    server = await listen(t.app, 0, '127.0.0.1');
    base = `http://127.0.0.1:${server.port}`;
    // The demo incidents, as an admin would file them through the API.
    keys.tidb = (await t.api.post('/api/v1/incidents').send(fixture('tidb-sync')).expect(201)).body.key;
    keys.decrypt = (await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body.key;
    // Filed today, its actions are due weeks from now; their first due dates passed long ago.
    for (const n of [1, 2, 3]) await t.api.patch(`/api/v1/actions/${keys.decrypt}-A${n}`).send({ version: 0, dueDate: '2023-04-12' }).expect(200);
    const thread = await t.api
      .post(`/api/v1/incidents/${keys.decrypt}/comments`)
      .send({ anchor: { section: 'impact' }, body: 'Is the 0.410% counted before or after the repair run?' })
      .expect(201);
    await t.api.post(`/api/v1/incidents/${keys.decrypt}/comments/${thread.body.id}/replies`).send({ body: 'Before: the repair run fixed all of them.' }).expect(201);
    // One action due after today (the test clock is 2026-11-25), to tell apart from the overdue ones.
    keys.latency = (
      await t.api
        .post('/api/v1/incidents')
        .send({ title: 'Checkout latency', severity: 'C', actions: [{ title: 'Add a latency SLO alert', owner: 'alice@example.com', dueDate: '2026-12-20' }] })
        .expect(201)
    ).body.key;
    // playwright's launch() starts Chromium on a fresh temporary user data dir and removes it on close.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });

  /** A fresh browser whose Accept-Language is `locale` (what the sign-in page speaks before anyone signs in). */
  const openBrowser = async (locale: string) => {
    await context?.close();
    context = await browser.newContext({ baseURL: base, locale });
    page = await context.newPage();
    dialogs = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  };

  beforeEach(() => openBrowser('en-US'));

  afterEach(async () => {
    await context?.close();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  it('first admin (zh-CN): one-time link → set password → sign out → sign in → incidents → rendered postmortem with comments, all in Chinese', async () => {
    // The default locale (zh-CN) is the lead's, and a Chinese browser's.
    await openBrowser('zh-CN');
    await t.services.users.create({ email: 'lead@example.com', name: 'Lead', role: 'admin' }, SYSTEM_ACTOR);
    const token = await t.services.users.issueSignInLink('lead@example.com');

    await page.goto(`/login/link?token=${encodeURIComponent(token)}`);
    // Opening the link only asks; the button uses it (a mail scanner's GET signs nobody in).
    await page.getByText('你将以 lead@example.com 登录').waitFor();
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(`${base}/account/password`);
    await page.getByRole('heading', { name: '设置密码' }).waitFor();
    await page.getByLabel('新密码').fill('correct horse battery');
    await page.getByRole('button', { name: '设置密码' }).click();
    await page.getByText('密码已设置。').waitFor();

    // The link worked once: opening it again signs nobody in.
    const again = await context.request.get(`/login/link?token=${encodeURIComponent(token)}`, { maxRedirects: 0 });
    expect(again.status()).to.equal(410);

    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL(`${base}/login`);
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await page.getByLabel('邮箱').fill('lead@example.com');
    await page.getByLabel('密码').fill('correct horse battery');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(`${base}/`);

    await page.getByRole('heading', { name: '事件' }).waitFor();
    const nav = await page.locator('header').innerText();
    expect(nav).to.include('事件').and.include('改进措施').and.include('周报').and.include('新建事件').and.include('Lead (管理员)').and.not.include('Incidents');
    expect(await page.getByRole('row', { name: /Oracle→TiDB 同步链路中断/ }).textContent()).to.include(keys.tidb);
    const row = page.getByRole('row', { name: /解密服务初始化失败/ });
    expect(await row.textContent()).to.include(keys.decrypt).and.include('已解决');

    await row.getByRole('link', { name: keys.decrypt }).click();
    await page.waitForURL(`${base}/incidents/${keys.decrypt}`);
    const article = page.locator('article');
    await article.getByRole('heading', { level: 1 }).waitFor();
    const doc = (await article.innerText()).replace(/\s+/g, ' ');
    expect(doc).to.include('0.410%');
    // Markdown emphasis is rendered, not shown as asterisks (a CJK colon before the closing ** used to break it).
    expect(doc).to.include('发现方式：业务方反馈').and.not.include('**');
    // The actions are listed once, below the document, where they can be worked on.
    expect(doc).not.to.include(`${keys.decrypt}-A1`);
    await page.getByRole('heading', { name: '措施进展' }).waitFor();
    for (const n of [1, 2, 3]) expect(await page.locator(`[id="${keys.decrypt}-A${n}"]`).innerText()).to.include('未认领');
    await page.getByRole('heading', { name: '评审' }).waitFor();
    await page.getByRole('heading', { name: '评论' }).waitFor();
    expect(await page.locator(`[id="${keys.decrypt}-A1"]`).innerText()).to.include('未认领').and.include('已逾期');
    await page.getByText('Is the 0.410% counted before or after the repair run?').waitFor();
    await page.getByText('Before: the repair run fixed all of them.').waitFor();

    const dir = mkdtempSync(path.join(tmpdir(), 'debrief-shot-'));
    try {
      const file = path.join(dir, 'incident.png');
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size).to.be.greaterThan(1000);
      expect(readFileSync(file).subarray(0, 8).toString('hex')).to.equal('89504e470d0a1a0a');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a wrong password shows an error and stays on the sign-in page (in English, the browser\'s language)', async () => {
    const bob = await t.services.users.create({ email: 'bob@example.com', name: 'Bob', role: 'editor' }, SYSTEM_ACTOR);
    await t.services.users.setPassword(bob.id, 'bobs real password', SYSTEM_ACTOR);

    await page.goto('/');
    expect(new URL(page.url()).pathname).to.equal('/login');
    await page.getByLabel('Email').fill('bob@example.com');
    await page.getByLabel('Password').fill('not bobs password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong email or password.').waitFor();
    expect(new URL(page.url()).pathname).to.equal('/login');
    expect(await page.getByLabel('Email').inputValue()).to.equal('bob@example.com');
    expect(await page.getByRole('link', { name: 'Actions' }).count()).to.equal(0);
    expect((await context.cookies()).map((c) => c.name)).not.to.include(SESSION_COOKIE);
  });

  it('the Actions page lists open actions and marks the overdue ones', async () => {
    await t.services.users.create({ email: 'ann@example.com', name: 'Ann', role: 'admin', locale: 'en' }, SYSTEM_ACTOR);
    await signInAs('ann@example.com');
    await page.goto('/actions');
    await page.getByRole('heading', { name: 'Open corrective actions' }).waitFor();
    for (const n of [1, 2, 3]) {
      const row = page.getByRole('row', { name: new RegExp(`${keys.decrypt}-A${n}\\b`) });
      const text = await row.textContent();
      expect(text).to.include('(overdue)').and.include('unowned');
    }
    const future = await page.getByRole('row', { name: new RegExp(`${keys.latency}-A1\\b`) }).textContent();
    expect(future).to.include('2026-12-20').and.include('alice@example.com').and.not.include('overdue');
    expect(await page.getByText(/4 open · 3 overdue · 3 without an owner/).count()).to.equal(1);
  });

  it('an email "mark done" link asks for confirmation, then marks the action done with the note and evidence', async () => {
    const filed = await t.api
      .post('/api/v1/incidents')
      .send({ title: 'Certificate expiry', severity: 'D', actions: [{ title: 'Alert 30 days before expiry', owner: 'carol@example.com', dueDate: '2026-12-10' }] })
      .expect(201);
    const actionKey = `${filed.body.key}-A1`;
    const url = new URL(await t.services.links.url(actionKey, 'carol@example.com', 'done'));

    // Opening the link (what a mail scanner does too) changes nothing.
    await page.goto(url.pathname);
    await page.getByRole('heading', { name: `${actionKey} Alert 30 days before expiry` }).waitFor();
    expect((await t.api.get(`/api/v1/actions/${actionKey}`).expect(200)).body.status).to.equal('open');

    // The page is in the default locale (zh-CN).
    await page.getByLabel('改了什么').fill('Added a certificate expiry alert at 30 and 7 days');
    await page.getByLabel(/^证据/).fill('https://git.example.com/infra/alerts/-/merge_requests/42');
    await page.getByRole('button', { name: '标记完成' }).click();
    await page.getByText('已完成。').waitFor();

    const action = (await t.api.get(`/api/v1/actions/${actionKey}`).expect(200)).body;
    expect(action).to.include({ status: 'done', completionNote: 'Added a certificate expiry alert at 30 and 7 days' });
    expect(JSON.stringify(action)).to.include('https://git.example.com/infra/alerts/-/merge_requests/42');

    // The link works once.
    await page.goto(url.pathname);
    await page.getByRole('heading', { name: '没有做任何修改' }).waitFor();
  });

  it('an editor files an incident through the New incident form and lands on its page', async () => {
    await t.services.users.create({ email: 'erin@example.com', name: 'Erin', role: 'editor', locale: 'en' }, SYSTEM_ACTOR);
    await signInAs('erin@example.com');

    await page.goto('/');
    await page.getByRole('link', { name: 'New incident' }).click();
    await page.getByRole('heading', { name: 'New incident' }).waitFor();
    expect(await page.getByLabel('Time zone').inputValue()).to.equal('Asia/Shanghai');
    await page.locator('#title').fill('Search index lag');
    await page.getByLabel('Severity', { exact: true }).selectOption('C');
    await page.getByLabel('Status', { exact: true }).selectOption('mitigated');
    // Known only to the day: the day field, not the time.
    await page.getByLabel('Started: only the day').fill('2026-11-22');
    await page.getByLabel('Detected', { exact: true }).fill('2026-11-24T08:15');
    await page.getByLabel('Mitigated', { exact: true }).fill('2026-11-24T09:40');
    await page.getByLabel(/^Services/).fill('search, indexer');
    await page.getByLabel('What was affected').fill('Search results were up to 40 minutes stale');
    await page.getByLabel(/^Root causes/).fill('Indexer queue unbounded\nNo alert on index lag');
    const actions = page.getByRole('group', { name: 'Corrective actions' });
    await actions.getByLabel('Title').fill('Alert on index lag');
    await actions.getByRole('button', { name: 'Add an action' }).click();
    await actions.getByLabel('Title').nth(1).fill('Bound the indexer queue');
    await page.getByRole('button', { name: 'File incident' }).click();

    await page.waitForURL(/\/incidents\/INC-2026-\d{4}$/);
    const key = new URL(page.url()).pathname.split('/').pop()!;
    await page.locator('article').getByRole('heading', { level: 1 }).waitFor();
    expect(await page.locator('article').innerText()).to.include('Search index lag').and.include('Indexer queue unbounded');
    expect(await page.locator(`[id="${key}-A2"]`).innerText()).to.include('Bound the indexer queue');
    await page.getByRole('heading', { name: 'Comments' }).waitFor();

    const incident = (await t.api.get(`/api/v1/incidents/${key}`).expect(200)).body;
    expect(incident).to.include({ status: 'mitigated', severity: 'C' });
    expect(incident.instants.startedAt).to.deep.equal({ at: '2026-11-21T16:00:00.000Z', precision: 'day' });
    expect(incident.instants.detectedAt).to.deep.equal({ at: '2026-11-24T00:15:00.000Z', precision: 'minute' });
    expect(dialogs).to.deep.equal([]);
  });

  it('an incident title with HTML in it is shown as text and runs no script', async () => {
    const key = (await t.api.post('/api/v1/incidents').send({ title: `Broken ${XSS} banner`, severity: 'D' }).expect(201)).body.key;
    await signInAs('admin@example.com');

    await page.goto('/');
    const row = page.getByRole('row', { name: new RegExp(key) });
    expect(await row.getByRole('cell').nth(1).textContent()).to.equal(`Broken ${XSS} banner`);
    expect(await page.locator('main img').count()).to.equal(0);

    await page.goto(`/incidents/${key}`);
    expect(await page.title()).to.include(XSS);
    expect(await page.locator('article').innerText()).to.include(XSS);
    expect(await page.locator('main img').count()).to.equal(0);
    expect(dialogs).to.deep.equal([]);
  });

  it('the weekly report page picks a week, draws its charts and records a success rate', async () => {
    await signInAs('admin@example.com');
    await page.goto('/reports/weekly?week=2023-W07');
    await page.getByRole('heading', { name: '第07周 2023/02/19' }).waitFor();
    // Four charts, drawn with real size, each captioned with the numbers as text.
    const charts = page.locator('figure svg');
    expect(await charts.count()).to.equal(4);
    for (const box of await Promise.all((await charts.all()).map((c) => c.boundingBox()))) expect(box!.width).to.be.greaterThan(300);
    await page.locator('figcaption').getByText('每周事件数（按级别），2022-11-28 ~ 2023-02-19. 2022-W48:').waitFor();
    await page.screenshot({ path: path.join(tmpdir(), 'debrief-report-page.png'), fullPage: true });

    await page.getByLabel('周', { exact: true }).fill('2023-W05');
    await page.getByRole('button', { name: '查看' }).click();
    await page.getByRole('heading', { name: '第05周 2023/02/05' }).waitFor();
    await page.getByText('2/5 8:48~9:50 Oracle 到 TiDB 同步链路中断').waitFor();

    await page.getByLabel('链路').fill('入金有效成功率');
    await page.getByLabel('成功率（%）').fill('99.99');
    await page.getByRole('button', { name: '录入' }).click();
    await page.getByText('入金有效成功率：99.99%').waitFor();
    expect(new URL(page.url()).search).to.equal('?week=2023-W05&timezone=Asia%2FShanghai');
    expect(dialogs).to.deep.equal([]);
  });
});
