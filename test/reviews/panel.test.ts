import { expect } from 'chai';
import type supertest from 'supertest';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { addPeople, formToken, signedIn } from '../pages/helpers.js';

const HOUR = 3600_000;

/**
 * The review panel of the incident page as its people meet it: the note to reviewers and the decision
 * notes, the last round's reviewers proposed again, comment times, and the links to what was published,
 * what changed between rounds and the audit trail. mei files (zh-CN), ann reviews (en), bo reviews (zh-CN).
 */
describe('review panel on the incident page', function () {
  this.timeout(60_000);
  let t: TestContext;
  let mei: supertest.Agent;
  let ann: supertest.Agent;
  let bo: supertest.Agent;
  let key: string;

  before(async () => {
    t = await createTestContext('review_panel', { DEFAULT_LOCALE: 'zh-CN', DEFAULT_TIMEZONE: 'Asia/Shanghai' });
    await addPeople(t, [
      ['mei@example.com', 'editor', 'zh-CN'],
      ['ann@example.com', 'reviewer', 'en'],
      ['bo@example.com', 'reviewer', 'zh-CN'],
      ['root@example.com', 'admin', 'zh-CN'],
    ]);
    [mei, ann, bo] = await Promise.all([t.as('editor', 'mei@example.com'), t.as('reviewer', 'ann@example.com'), t.as('reviewer', 'bo@example.com')]);
    key = (await mei.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body.key;
  });
  after(() => t.close());

  const page = async (email: string, path = `/incidents/${key}`) => (await (await signedIn(t.app, email)).agent.get(path).expect(200)).text;

  it('keeps the note to reviewers typed on the page form, and shows it with the decision notes on the panel and in the API', async () => {
    const { agent } = await signedIn(t.app, 'mei@example.com');
    const form = (await agent.get(`/incidents/${key}`).expect(200)).text;
    await agent
      .post(`/incidents/${key}/review/request`)
      .type('form')
      .send({ _csrf: formToken(form), reviewers: 'ann@example.com, bo@example.com', note: '重点看根因里的防火墙规则 <b>' })
      .expect(303);
    const review = (await t.api.get(`/api/v1/incidents/${key}/review`).expect(200)).body;
    expect(review.note).to.equal('重点看根因里的防火墙规则 <b>');
    expect((await t.api.get(`/api/v1/incidents/${key}/revisions`).expect(200)).body[0].note).to.equal('重点看根因里的防火墙规则 <b>');
    await bo.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'request_changes', note: '请写明缺了哪些规则' }).expect(200);
    const decided = (await t.api.get(`/api/v1/incidents/${key}/review`).expect(200)).body;
    expect(decided.decisions[0].note).to.equal('请写明缺了哪些规则');

    const html = await page('mei@example.com');
    expect(html).to.include('给评审人的说明：重点看根因里的防火墙规则 &lt;b&gt;').and.include('请写明缺了哪些规则');
    expect(await page('ann@example.com')).to.include('Note to reviewers: 重点看根因里的防火墙规则 &lt;b&gt;');
  });

  it('proposes the last round’s reviewers for the next round, editable', async () => {
    const html = await page('mei@example.com');
    expect(html).to.match(/<input id="reviewers" name="reviewers" required value="ann@example.com, bo@example.com">/);
  });

  it('shows when each comment and reply was written, relative, with the exact time in the reader’s zone', async () => {
    const thread = (await ann.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'cause' }, body: 'Which rules?' }).expect(201)).body;
    t.clock.advance(HOUR);
    await mei.post(`/api/v1/incidents/${key}/comments/${thread.id}/replies`).send({ body: 'AZ→ARK' }).expect(201);
    t.clock.advance(2 * HOUR);
    const zh = await page('mei@example.com');
    // Written at 10:00 in Shanghai (02:00Z); read three hours later.
    expect(zh).to.include(`<time datetime="${thread.createdAt}" title="2026-11-25 10:00 CST">3小时前</time>`);
    expect(zh).to.match(/AZ→ARK/).and.include('2小时前</time>');
    expect(await page('ann@example.com')).to.include('3 hours ago</time>');
  });

  it('links the history page with each round’s changes, the published snapshot, and says when it was edited after publishing', async () => {
    await ann.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'approve' }).expect(409); // the thread is open
    const threads = (await t.api.get(`/api/v1/incidents/${key}/comments`).expect(200)).body;
    for (const th of threads) await mei.post(`/api/v1/incidents/${key}/comments/${th.id}/resolve`).expect(200);
    const current = (await mei.get(`/api/v1/incidents/${key}`)).body;
    await mei.patch(`/api/v1/incidents/${key}`).send({ version: current.version, cause: { rootCauses: ['新容灾机房 AZ→ARK 防火墙规则缺失'] } }).expect(200);
    await mei.post(`/api/v1/incidents/${key}/review/request`).send({ reviewers: ['ann@example.com', 'bo@example.com'] }).expect(200);
    await ann.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'approve' }).expect(200);
    await bo.post(`/api/v1/incidents/${key}/review/decisions`).send({ decision: 'approve' }).expect(200);
    const published = (await mei.post(`/api/v1/incidents/${key}/review/publish`).send({}).expect(200)).body;

    let html = await page('mei@example.com');
    expect(html).to.include(`href="/incidents/${key}/snapshots/${published.publishedSnapshot}"`).and.include(`href="/incidents/${key}/history"`);
    expect(html).to.include('<span class="badge">已发布</span>');

    const history = await page('root@example.com', `/incidents/${key}/history`);
    expect(history).to.include('与第 1 轮相比的修改').and.include('<code>cause.rootCauses</code>').and.include('新容灾机房 AZ→ARK 防火墙规则缺失');
    expect(history).to.include('审计日志').and.include(`mei@example.com · 提交 · ${key}`).and.include('mei@example.com · 请求评审 ·').and.include('bo@example.com · 要求修改 ·');
    expect(await page('mei@example.com', `/incidents/${key}/history`)).not.to.include('审计日志');
    const snapshot = await page('ann@example.com', `/incidents/${key}/snapshots/${published.publishedSnapshot}`);
    expect(snapshot).to.include('新容灾机房 AZ→ARK 防火墙规则缺失').and.include('later edits do not change it');

    t.clock.set('2026-11-27T03:00:00Z');
    const latest = (await mei.get(`/api/v1/incidents/${key}`)).body;
    await mei.patch(`/api/v1/incidents/${key}`).send({ version: latest.version, title: '发布后改名' }).expect(200);
    html = await page('mei@example.com');
    expect(html).to.include('已于 2026-11-25 发布，之后有修改（最近 2026-11-27）').and.not.include('<span class="badge">已发布</span>');
    expect(await page('ann@example.com')).to.include('Published 2026-11-25, edited since (last 2026-11-27)');
  });
});
