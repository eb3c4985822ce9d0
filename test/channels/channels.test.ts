import { expect } from 'chai';
import { pack, shorten, utf8Bytes } from '../../src/channels/fit.js';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { createLogger } from '../../src/lib/logger.js';
import { addPeople, formToken, signedIn } from '../pages/helpers.js';
import { DINGTALK_SECRET, FEISHU_SECRET, Receivers, ROBOT_KEY, WEBHOOK_SECRET } from './receivers.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const MINUTE = 60_000;

describe('chat channels', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let rx: Receivers;

  beforeEach(async function () {
    ctx = await createTestContext(`channels_${this.currentTest!.title.slice(0, 24)}`, { CHANNEL_SECRET_KEY: KEY, BASE_URL: 'https://debrief.example.com' });
    rx = new Receivers(ctx.clock);
    await rx.start();
  });
  afterEach(async () => {
    await rx.stop();
    await ctx.close();
  });

  const add = async (body: Record<string, unknown>) => {
    const res = await ctx.api.post('/api/v1/channels').send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: string; version: number };
  };
  const wecom = () => add({ name: '稳定性群', kind: 'wecom', url: `${rx.url}/wecom/cgi-bin/webhook/send?key=${ROBOT_KEY}` });
  const feishu = () => add({ name: 'SRE 飞书群', kind: 'feishu', url: `${rx.url}/feishu/open-apis/bot/v2/hook/${ROBOT_KEY}`, secret: FEISHU_SECRET });
  const file = async (overrides: Record<string, unknown> = {}) => {
    const res = await ctx.api.post('/api/v1/incidents').send({ ...fixture('decrypt-failure'), ...overrides });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { key: string; version: number; actions: { key: string; version: number }[] };
  };
  /** Runs the outbox `times` times, the clock a minute on after each. */
  const deliver = async (times = 1) => {
    for (let i = 0; i < times; i++) {
      await ctx.services.outbox.deliver();
      ctx.clock.advance(MINUTE);
    }
  };

  it('posts one zh-CN message to WeCom and to Feishu when the seed decrypt incident is filed', async () => {
    await wecom();
    await feishu();
    const { key } = await file();
    await deliver(2);
    const [w] = rx.of('wecom');
    const [f] = rx.of('feishu');
    expect(rx.of('wecom')).to.have.length(1);
    expect(rx.of('feishu')).to.have.length(1);
    const text = w!.body.markdown.content as string;
    expect(text).to.include(`新事故 ${key}`);
    expect(text).to.include('时段：2/9 … 2/14 12:04');
    expect(text).to.include(`(https://debrief.example.com/incidents/${key})`);
    expect(text).to.include('级别：E');
    const card = JSON.stringify(f!.body.card);
    expect(f!.body.card.header.title.content).to.include(key);
    expect(card).to.include('2/9 … 2/14 12:04');
    expect(card).to.include(`https://debrief.example.com/incidents/${key}`);
    // Delivered means sent: nothing goes again.
    await deliver(3);
    expect(rx.received).to.have.length(2);
  });

  it('routes by service and severity, and skips disabled channels and events not taken', async () => {
    await add({ name: 'payments', kind: 'wecom', url: `${rx.url}/wecom/send?key=${ROBOT_KEY}`, route: { services: ['payment'] } });
    await add({ name: 'billing', kind: 'slack', url: `${rx.url}/slack/${ROBOT_KEY}`, route: { services: ['statement-billing'] } });
    await add({ name: 'off', kind: 'slack', url: `${rx.url}/slack/${ROBOT_KEY}`, disabled: true });
    await add({ name: 'reviews only', kind: 'slack', url: `${rx.url}/slack/${ROBOT_KEY}`, events: ['review'] });
    await file();
    await deliver(2);
    expect(rx.of('wecom')).to.have.length(0);
    expect(rx.of('slack')).to.have.length(1);
    const slack = rx.of('slack')[0]!.body;
    expect(slack.blocks[0].text.text).to.include('新事故');
    expect(slack.blocks.at(-1).elements[0].url).to.match(/^https:\/\/debrief\.example\.com\/incidents\//);
  });

  it('signs DingTalk and generic webhooks as their platforms check, and mentions an action owner in each syntax', async () => {
    ctx.clock.set(new Date()); // Standard Webhooks receivers check the timestamp against their own clock.
    await add({ name: 'dd', kind: 'dingtalk', url: `${rx.url}/dingtalk/robot/send?access_token=${ROBOT_KEY}`, secret: DINGTALK_SECRET });
    await add({ name: 'hook', kind: 'webhook', url: `${rx.url}/webhook/in`, secret: WEBHOOK_SECRET });
    await add({ name: 'slack', kind: 'slack', url: `${rx.url}/slack/${ROBOT_KEY}` });
    await ctx.as('editor', 'zhang.wei@example.com');
    const person = (await ctx.api.get('/api/v1/users/zhang.wei@example.com')).body;
    const patched = await ctx.api.patch('/api/v1/users/zhang.wei@example.com').send({ version: person.version, chat: { dingtalk: '13800001111', slack: 'U024BE7LH' } });
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
    const incident = await file({ actions: [] });
    const action = await ctx.api.post(`/api/v1/incidents/${incident.key}/actions`).send({ title: '加解密函数返回空值', type: 'detect', priority: 'high', owner: 'zhang.wei@example.com' });
    expect(action.status, JSON.stringify(action.body)).to.equal(201);
    await deliver(3);
    const dd = rx.of('dingtalk');
    expect(dd).to.have.length(2);
    const assigned = dd.find((r) => r.body.markdown.title.includes(action.body.key))!;
    expect(assigned.body.at.atMobiles).to.deep.equal(['13800001111']);
    expect(assigned.body.markdown.text).to.include('@13800001111');
    const slackAssigned = rx.of('slack').find((r) => r.body.text.includes(action.body.key))!;
    expect(slackAssigned.body.blocks[1].text.text).to.include('<@U024BE7LH>');
    const hooks = rx.of('webhook');
    expect(hooks.map((h) => h.body.type).sort()).to.deep.equal(['action.assigned', 'incident.filed']);
    expect(hooks.find((h) => h.body.type === 'action.assigned')!.body.data.owner).to.equal('zhang.wei@example.com');
  });

  it('writes the name when the owner has no chat identity', async () => {
    await wecom();
    await ctx.as('editor', 'li.na@example.com');
    const incident = await file({ actions: [] });
    const action = await ctx.api.post(`/api/v1/incidents/${incident.key}/actions`).send({ title: '补监控', type: 'detect', priority: 'high', owner: 'li.na@example.com' });
    await deliver(2);
    const assigned = rx.of('wecom').find((r) => r.body.markdown.content.includes(action.body.key))!;
    expect(assigned.body.markdown.content).to.include('@li.na');
    expect(assigned.body.markdown.content).to.include('补监控');
  });

  it('keeps a burst of 100 messages to one robot within its 20 a minute, each sent once', async () => {
    const { id } = await wecom();
    const channel = await ctx.services.channels.find(id);
    for (let i = 0; i < 100; i++) {
      await ctx.services.chatEvents.test(channel, ctx.clock.now());
      ctx.clock.advance(1);
    }
    await deliver(6);
    expect(rx.of('wecom')).to.have.length(100);
    const sent = await ctx.services.outbox.list({ status: ['sent'], page: 1, pageSize: 200 });
    expect(sent.total).to.equal(100);
    expect(sent.items.every((m) => m.attempts === 1)).to.equal(true);
  });

  it('waits as long as a rate-limit answer says before trying again', async () => {
    const { id } = await add({ name: 'slack', kind: 'slack', url: `${rx.url}/slack/${ROBOT_KEY}` });
    rx.limits.slack = 3;
    const channel = await ctx.services.channels.find(id);
    for (let i = 0; i < 5; i++) {
      await ctx.services.chatEvents.test(channel, ctx.clock.now());
      ctx.clock.advance(1);
    }
    const sentAt = ctx.clock.now().getTime();
    await ctx.services.outbox.deliver();
    expect(rx.of('slack')).to.have.length(3);
    const waiting = await ctx.services.outbox.list({ status: ['pending'], page: 1, pageSize: 10 });
    expect(waiting.total).to.equal(2);
    for (const m of waiting.items) {
      expect(m.lastError).to.include('429');
      // Retry-After: 600 outweighs the first back-off (60 s).
      expect(new Date(m.nextAttemptAt!).getTime() - sentAt).to.be.at.least(600_000);
    }
    await deliver(9);
    expect(rx.of('slack')).to.have.length(3);
    await deliver(3);
    expect(rx.of('slack')).to.have.length(5);
  });

  it('treats an error code in a 200 answer as a failure', async () => {
    await add({ name: 'wrong key', kind: 'wecom', url: `${rx.url}/wecom/send?key=not-the-key` });
    await file();
    await deliver(1);
    const pending = await ctx.services.outbox.list({ status: ['pending'], page: 1, pageSize: 10 });
    expect(pending.total).to.equal(1);
    expect(pending.items[0]!.lastError).to.include('93000');
    expect(rx.received).to.have.length(0);
  });

  it('delivers everything once after an outage of the receiver, with two workers at once', async () => {
    await wecom();
    await feishu();
    rx.down = true;
    await file();
    await file({ title: '第二个事故' });
    await deliver(3);
    expect(rx.received).to.have.length(0);
    const waiting = await ctx.services.outbox.list({ status: ['pending'], page: 1, pageSize: 10 });
    expect(waiting.total).to.equal(4);
    expect(waiting.items[0]!.lastError).to.include('503');
    rx.down = false;
    await inAnotherProcess(ctx, async (other) => {
      for (let i = 0; i < 15; i++) {
        await Promise.all([ctx.services.outbox.deliver(), other.outbox.deliver()]);
        ctx.clock.advance(MINUTE);
      }
    });
    expect(rx.of('wecom')).to.have.length(2);
    expect(rx.of('feishu')).to.have.length(2);
  });

  it('never writes a channel secret or robot key to the log, through saving, testing, an outage and a refusal', async () => {
    const lines: string[] = [];
    const logger = createLogger('trace', 'json', { write: (line: string) => void lines.push(line) });
    const outer = ctx;
    ctx = await createTestContext('channels_logged', { CHANNEL_SECRET_KEY: KEY, BASE_URL: 'https://debrief.example.com' }, { logger });
    try {
      const secrets = [ROBOT_KEY, FEISHU_SECRET, DINGTALK_SECRET, WEBHOOK_SECRET, 'rotated-secret-77'];
      const { id, version } = await feishu();
      await wecom();
      await add({ name: 'dd', kind: 'dingtalk', url: `${rx.url}/dingtalk/robot/send?access_token=${ROBOT_KEY}`, secret: DINGTALK_SECRET });
      await add({ name: 'hook', kind: 'webhook', url: `${rx.url}/webhook/in`, secret: WEBHOOK_SECRET });
      await ctx.api.patch(`/api/v1/channels/${id}`).send({ version, secret: 'rotated-secret-77' }).expect(200);
      await ctx.api.post('/api/v1/channels').send({ name: 'bad', kind: 'feishu', url: `ftp://x/${ROBOT_KEY}`, secret: FEISHU_SECRET }).expect(400);
      // An outage: every post fails and is retried, each failure logged; then the receivers recover.
      rx.down = true;
      await file();
      await deliver(2);
      rx.down = false;
      ctx.clock.advance(60 * MINUTE);
      await deliver(3);
      expect(rx.of('wecom').length + rx.of('dingtalk').length).to.be.greaterThan(0);
      const logged = lines.join('');
      expect(logged).to.include('chat message not sent; will retry');
      expect(logged).to.include('/api/v1/channels');
      for (const secret of secrets) expect(logged, secret).not.to.include(secret);
    } finally {
      await ctx.close();
      ctx = outer;
    }
  });

  it('never shows a channel secret or robot key in an answer, and refuses one without CHANNEL_SECRET_KEY', async () => {
    const { id, version } = await feishu();
    const answers = [
      await ctx.api.get('/api/v1/channels'),
      await ctx.api.get(`/api/v1/channels/${id}`),
      await ctx.api.patch(`/api/v1/channels/${id}`).send({ version, secret: 'rotated-secret-77' }),
      await ctx.api.post(`/api/v1/channels/${id}/test`),
    ];
    await deliver(1);
    answers.push(await ctx.api.get('/api/v1/outbox'), await ctx.api.get('/api/v1/audit'));
    for (const res of answers) {
      expect(res.status).to.be.within(200, 299);
      for (const secret of [FEISHU_SECRET, 'rotated-secret-77', ROBOT_KEY]) expect(JSON.stringify(res.body)).not.to.include(secret);
    }
    expect(answers[1]!.body).to.include({ hasSecret: true, endpoint: `${rx.url}/feishu/open-apis/bot/v2/hook/…` });
    // Stored sealed, too.
    const stored = JSON.stringify(await ctx.services.models.channels.findById(id).lean());
    expect(stored).not.to.include(FEISHU_SECRET);
    expect(stored).not.to.include(ROBOT_KEY);

    const keyless = await createTestContext('channels_keyless', {});
    try {
      const res = await keyless.api.post('/api/v1/channels').send({ name: 'x', kind: 'wecom', url: `${rx.url}/wecom/send?key=${ROBOT_KEY}` });
      expect(res.status).to.equal(422);
      expect(res.body.error.fields[0].field).to.equal('url');
      expect(res.body.error.message).to.include('CHANNEL_SECRET_KEY');
      expect((await keyless.api.get('/api/v1/channels')).body).to.deep.equal([]);
    } finally {
      await keyless.close();
    }
  });

  it('posts the overdue summary once a day per channel, grouped by owner, with working one-click links', async () => {
    await wecom();
    await feishu();
    await ctx.as('editor', 'zhang.wei@example.com');
    await ctx.as('editor', 'li.na@example.com');
    const incident = await file({
      actions: [
        { title: '加解密函数增强版本', type: 'detect', priority: 'high', owner: 'zhang.wei@example.com', dueDate: '2026-11-01' },
        { title: '补数脚本评审', type: 'process', priority: 'medium', owner: 'li.na@example.com', dueDate: '2026-11-10' },
        { title: '监控告警', type: 'detect', priority: 'low', owner: 'li.na@example.com', dueDate: '2027-03-01' },
      ],
    });
    await deliver(2);
    const before = rx.received.length;
    // 10:00 in Shanghai: past DIGEST_HOUR (9).
    const summaries = () => rx.of('wecom').filter((r) => r.body.markdown.content.includes('逾期改进措施'));
    await ctx.services.chatEvents.overdueSummaries();
    await ctx.services.chatEvents.overdueSummaries();
    await deliver(2);
    expect(rx.received.length - before).to.equal(2);
    expect(summaries()).to.have.length(1);
    const content = summaries()[0]!.body.markdown.content as string;
    expect(content).to.include('2026-11-25 逾期改进措施 2 条');
    expect(content).to.include('@zhang.wei（1 条）');
    expect(content).to.include('@li.na（1 条）');
    expect(content).to.include(`${incident.key}-A1 加解密函数增强版本 · 截止 2026-11-01`);
    expect(content).not.to.include('监控告警');
    const feishuCard = JSON.stringify(rx.of('feishu').at(-1)!.body.card);
    expect(feishuCard).to.include('补数脚本评审');
    // The mark-done link works as the email's: a form, then done, once.
    const done = /\[标记完成\]\((https:\/\/debrief\.example\.com(\/links\/[^)]+))\)/.exec(content)!;
    expect(done, content).to.not.equal(null);
    await ctx.api.get(done[2]!).expect(200);
    await ctx.api.post(done[2]!).type('form').send({ note: '已上线', evidence: 'https://git.example.com/mr/9' }).expect(200);
    expect((await ctx.api.get(`/api/v1/actions/${incident.key}-A1`)).body.status).to.equal('done');
    // The next day: one more summary, without the done action.
    ctx.clock.advance(24 * 60 * MINUTE);
    await ctx.services.chatEvents.overdueSummaries();
    await deliver(2);
    expect(summaries()).to.have.length(2);
    const next = summaries()[1]!.body.markdown.content as string;
    expect(next).to.include('逾期改进措施 1 条');
    expect(next).not.to.include('加解密函数增强版本');
  });

  it('declares the webhook events in the OpenAPI document', async () => {
    const doc = (await ctx.api.get('/api/v1/openapi.json').expect(200)).body;
    expect(Object.keys(doc.webhooks)).to.include.members(['incident.filed', 'action.assigned', 'actions.overdue']);
    const post = doc.webhooks['incident.filed'].post;
    expect(post.parameters.map((p: { name: string }) => p.name)).to.deep.equal(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(post.requestBody.content['application/json'].schema.required).to.include.members(['type', 'timestamp', 'data']);
  });

  it('manages channels on the settings page without ever showing a key or secret', async () => {
    // Page sessions want the address they are served at: a context of its own, on the default BASE_URL.
    const outer = ctx;
    ctx = await createTestContext('channels_pages', { CHANNEL_SECRET_KEY: KEY });
    try {
      await addPeople(ctx, [['boss@example.com', 'admin', 'zh-CN'], ['ed@example.com', 'editor', 'zh-CN']]);
      const { agent, token } = await signedIn(ctx.app, 'boss@example.com');
      await agent
        .post('/settings/channels')
        .type('form')
        .send({ _csrf: token, name: '飞书值班群', kind: 'feishu', url: `${rx.url}/feishu/open-apis/bot/v2/hook/${ROBOT_KEY}`, secret: FEISHU_SECRET, events: ['incident.filed', 'actions.overdue'], services: 'statement-billing, payment' })
        .expect(303);
      let page = (await agent.get('/settings/channels').expect(200)).text;
      expect(page).to.include('飞书值班群').and.include(`${rx.url}/feishu/open-apis/bot/v2/hook/…`).and.include('已保存密钥').and.include('statement-billing, payment');
      expect(page).not.to.include(ROBOT_KEY);
      expect(page).not.to.include(FEISHU_SECRET);
      const [channel] = await ctx.services.channels.list();
      await agent.post(`/settings/channels/${channel!.id}`).type('form').send({ _csrf: formToken(page), version: channel!.version, op: 'test' }).expect(303);
      await deliver(1);
      expect(rx.of('feishu')).to.have.length(1);
      expect(rx.of('feishu')[0]!.body.card.header.title.content).to.equal('Debrief 测试消息：飞书值班群');
      // A refused form says which field and why, on the page.
      const bad = await agent.post('/settings/channels').type('form').send({ _csrf: formToken(page), name: 'x', kind: 'wecom', url: 'ftp://nope' }).redirects(1);
      expect(bad.text).to.include('url: must be an http:// or https:// address');
      expect(await ctx.services.channels.list()).to.have.length(1);
      await agent.post(`/settings/channels/${channel!.id}`).type('form').send({ _csrf: formToken(page), version: channel!.version, op: 'disable' }).expect(303);
      page = (await agent.get('/settings/channels').expect(200)).text;
      expect((await ctx.services.channels.find(channel!.id)).disabled).to.equal(true);
      expect(page).to.include('value="enable"');
      await file();
      await deliver(2);
      expect(rx.of('feishu')).to.have.length(1);
      const editor = await signedIn(ctx.app, 'ed@example.com');
      await editor.agent.get('/settings/channels').expect(403);
    } finally {
      await ctx.close();
      ctx = outer;
    }
  });

  it('lets only admins manage channels', async () => {
    const editor = await ctx.as('editor');
    expect((await editor.get('/api/v1/channels')).status).to.equal(403);
    expect((await editor.post('/api/v1/channels').send({ name: 'x', kind: 'slack', url: `${rx.url}/slack/x` })).status).to.equal(403);
  });

  it('fits long Chinese text and emoji into WeCom parts without cutting a character', async () => {
    await wecom();
    const impact = '对账单明细对手方信息无法解密🙈，'.repeat(400) + '👨‍👩‍👧‍👦';
    await file({ impact: { summary: impact, customerFacing: true } });
    await deliver(2);
    const [w] = rx.of('wecom');
    const content = w!.body.markdown.content as string;
    expect(utf8Bytes(content)).to.be.at.most(4096);
    expect(content).to.include('影响：对账单明细');
    expect(content).to.match(/…/);
    expect(content).not.to.include('\uFFFD');
    // Every family emoji whole or absent; no lone surrogate.
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(content)).to.equal(false);
  });
});

describe('fitting chat text', () => {
  it('shortens between whole characters, within the byte budget', () => {
    const text = '解密服务初始化失败👨‍👩‍👧‍👦';
    for (let max = 4; max <= utf8Bytes(text); max++) {
      const short = shorten(text, max);
      expect(utf8Bytes(short)).to.be.at.most(max);
      expect(text.startsWith(short.replace(/…$/, ''))).to.equal(true);
      expect(short.includes('\u200D') ? short.includes('👦') : true).to.equal(true);
    }
  });

  it('splits lines into parts that each fit', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `${i} 改进措施：补监控告警 🚨`);
    const parts = pack(lines, 300);
    expect(parts.length).to.be.greaterThan(1);
    expect(parts.flat()).to.deep.equal(lines);
    for (const p of parts) expect(utf8Bytes(p.join('\n'))).to.be.at.most(300);
  });
});
