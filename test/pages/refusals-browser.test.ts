import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { SESSION_COOKIE } from '../../src/http/auth.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { createTestContext, type TestContext } from '../support/context.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LONG_ZH = '先回滚支付网关再扩容连接池并重启同步任务。'.repeat(600).slice(0, 12_000);

describe('refused page forms in a browser (Chromium): nothing typed is lost', function () {
  this.timeout(60_000);
  let t: TestContext;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`\n    SKIPPED: Chromium is missing at ${CHROMIUM}; browser tests skipped\n`);
      this.skip();
    }
    t = await createTestContext('pages_refusals_browser', { DEFAULT_LOCALE: 'zh-CN', DEFAULT_TIMEZONE: 'Asia/Shanghai' });
    server = await listen(t.app, 0, '127.0.0.1');
    base = `http://127.0.0.1:${server.port}`;
    const mei = await t.services.users.create({ email: 'mei@example.com', name: '梅', role: 'editor', locale: 'zh-CN' }, SYSTEM_ACTOR);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext({ baseURL: base, locale: 'zh-CN' });
    await context.addCookies([{ name: SESSION_COOKIE, value: await t.services.users.startSession(String(mei.id)), url: base }]);
    page = await context.newPage();
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  it('a refused filing with a 12,000-character 处置经过 comes back at /incidents/new with it, also after a reload', async () => {
    await page.goto('/incidents/new');
    await page.locator('#title').fill('   ');
    await page.locator('#remediation').fill(LONG_ZH);
    await page.locator('form[action="/incidents/new"] button[type="submit"]').last().click();
    await page.waitForURL(/\/incidents\/new\?refused=/);
    expect(await page.locator('#remediation').inputValue()).to.equal(LONG_ZH);
    expect(await page.textContent('main')).to.include('请修改下面标出的字段');
    await page.reload();
    expect(page.url()).to.match(/\/incidents\/new\?refused=/);
    expect(await page.locator('#remediation').inputValue()).to.equal(LONG_ZH);
    expect(await page.title()).not.to.include('405');
  });

  it('a post too large to read (over 3 MB) comes back to the form with what was typed and a Chinese notice', async () => {
    const huge = '处'.repeat(400_000);
    await page.goto('/incidents/new');
    await page.locator('#title').fill('超长的处置经过');
    await page.locator('#remediation').fill(huge);
    await page.locator('form[action="/incidents/new"] button[type="submit"]').last().click();
    await page.waitForURL(/\/incidents\/new\?tooLarge=1$/);
    await page.getByText('提交的内容过大').waitFor();
    expect(await page.locator('#title').inputValue()).to.equal('超长的处置经过');
    expect((await page.locator('#remediation').inputValue()).length).to.equal(huge.length);
  });
});
