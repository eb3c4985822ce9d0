import { expect } from 'chai';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { SESSION_COOKIE } from '../../src/http/auth.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { REPORTS_DIR } from './reports.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('import page in a browser (Chromium)', function () {
  this.timeout(60_000);
  let t: TestContext;
  let server: RunningServer;
  let browser: Browser;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`\n    SKIPPED: Chromium is missing at ${CHROMIUM}; browser test of the import page skipped\n`);
      this.skip();
    }
    t = await createTestContext('imports_browser', { DEFAULT_LOCALE: 'en' });
    server = await listen(t.app, 0, '127.0.0.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  it('uploads a report file, unticks one entry and imports the others', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const user = await t.services.users.create({ email: 'ed@example.com', name: 'Ed', role: 'editor', locale: 'en' }, SYSTEM_ACTOR);
    const context = await browser.newContext({ baseURL: base });
    await context.addCookies([{ name: SESSION_COOKIE, value: await t.services.users.startSession(user.id), url: base }]);
    const page = await context.newPage();

    await page.goto('/');
    await page.click('text=Import');
    await page.setInputFiles('#files', path.join(REPORTS_DIR, '2023-w10.md'));
    await page.click('button:has-text("Preview")');
    expect(await page.textContent('main')).to.include('3 entries: 3 to file, 0 imported before');
    expect(await page.inputValue('#e0-resolvedAt')).to.equal('2023-03-02T00:25');
    expect(await page.inputValue('#e2-severity')).to.equal('A');

    await page.uncheck('#entry-1 input[name=include]');
    // The page's script fades an unticked entry; the form does not need it.
    expect(await page.getAttribute('#entry-1', 'class')).to.equal('import-entry settled');
    await page.click('button:has-text("Import the ticked entries")');
    expect(await page.textContent('h1')).to.equal('Imported');
    expect(await page.textContent('main')).to.include('2 filed, 0 imported before.');
    const { body } = await t.api.get('/api/v1/incidents?sort=startedAt').expect(200);
    expect(body.items.map((i: { window: { startedAt: string } }) => i.window.startedAt)).to.deep.equal(['2023-03-01T23:40', '2023-03-06T09:50']);
    await context.close();
  });
});
