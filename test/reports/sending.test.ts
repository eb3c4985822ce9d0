import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { addPeople, formToken, signedIn } from '../pages/helpers.js';
import { Receivers, ROBOT_KEY } from '../channels/receivers.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

/** Sending the weekly report: its email, and its section in the team's chat. */
describe('sending the weekly report', function () {
  this.timeout(120_000);
  let t: TestContext;
  let rx: Receivers;
  let decrypt: string;

  beforeEach(async function () {
    t = await createTestContext(`report_send_${this.currentTest!.title.slice(0, 20)}`, { WEEK_NUMBERING: 'jan1', CHANNEL_SECRET_KEY: KEY, BASE_URL: 'http://debrief.example.com' });
    rx = new Receivers(t.clock);
    await rx.start();
    await t.api.post('/api/v1/incidents').send(fixture('tidb-sync')).expect(201);
    decrypt = (await t.api.post('/api/v1/incidents').send(fixture('decrypt-failure')).expect(201)).body.key;
    await t.api.put('/api/v1/reports/metrics').send({ week: '2023-08', flow: '入金有效成功率', value: 99.94, note: '受微信APP风控事件影响，成功率降低' }).expect(200);
  });
  afterEach(async () => {
    await rx.stop();
    await t.close();
  });

  const channel = async (body: Record<string, unknown>) => (await t.api.post('/api/v1/channels').send(body).expect(201)).body as { id: string };
  const deliver = async () => {
    for (let i = 0; i < 2; i++) {
      await t.services.outbox.deliver();
      t.clock.advance(60_000);
    }
  };
  const wecomText = () => rx.of('wecom').map((r) => r.body.markdown.content as string);

  it("posts the week's section to the channels that take it, in the team's shape, once", async () => {
    await channel({ name: '稳定性群', kind: 'wecom', url: `${rx.url}/wecom/cgi-bin/webhook/send?key=${ROBOT_KEY}` });
    // Routed to other services: the figures, but none of this week's incidents.
    await channel({ name: 'gateway', kind: 'slack', url: `${rx.url}/slack/${ROBOT_KEY}`, route: { services: ['payment-gateway'] } });
    // Does not take the weekly report.
    await channel({ name: 'alerts', kind: 'wecom', url: `${rx.url}/wecom/cgi-bin/webhook/send?key=${ROBOT_KEY}`, events: ['incident.filed'] });
    const { body } = await t.api.post('/api/v1/reports/emails').send({ week: '2023-08', locale: 'zh-CN' }).expect(202);
    expect(body).to.deep.include({ queued: 0, alreadyQueued: 0, chat: { channels: 2, messages: 2 } });
    await deliver();
    const [text, ...others] = wecomText().filter((c) => c.includes('稳定性周报'));
    expect(others).to.have.length(0);
    expect(text).to.include('**第08周稳定性周报（2023-02-12 ~ 2023-02-18）**');
    expect(text).to.include('入金有效成功率：99.94% 受微信APP风控事件影响，成功率降低');
    expect(text).to.match(/事故数AB级0次，CD级0次；生产稳定性事件 1 起/);
    expect(text).to.include(`[${decrypt}](http://debrief.example.com/incidents/${decrypt})（E级）`);
    expect(text).to.match(/改进措施：本期新增 \d+ 项/);
    expect(text).to.include('(http://debrief.example.com/reports/weekly?week=2023-08&timezone=Asia%2FShanghai)');
    const slack = rx.of('slack').map((r) => JSON.stringify(r.body));
    expect(slack).to.have.length(1);
    expect(slack[0]).to.include('入金有效成功率').and.include('本期无生产稳定性事件').and.not.include(decrypt);
    // The same section again posts nothing; a changed week posts its new section.
    expect((await t.api.post('/api/v1/reports/emails').send({ week: '2023-08', locale: 'zh-CN' }).expect(202)).body.chat.messages).to.equal(0);
    await t.api.put('/api/v1/reports/metrics').send({ week: '2023-08', flow: '出金有效成功率', value: 99.93 }).expect(200);
    expect((await t.api.post('/api/v1/reports/emails').send({ week: '2023-08', locale: 'zh-CN' }).expect(202)).body.chat.messages).to.equal(2);
    await deliver();
    expect(wecomText().filter((c) => c.includes('稳定性周报'))).to.have.length(2);
    expect(wecomText().at(-1)).to.include('出金有效成功率：99.93%');
  });

  it('refuses a sending with nowhere to go, and the period report is never posted to chat', async () => {
    await channel({ name: '稳定性群', kind: 'wecom', url: `${rx.url}/wecom/cgi-bin/webhook/send?key=${ROBOT_KEY}` });
    const none = await t.api.post('/api/v1/reports/emails').send({ week: '2023-08', chat: false }).expect(400);
    expect(none.body.error.fields[0].field).to.equal('recipients');
    const period = await t.api.post('/api/v1/reports/emails').send({ week: '2023-08', template: 'stability', recipients: ['lead@example.com'] }).expect(202);
    expect(period.body).to.deep.include({ queued: 1, chat: { channels: 0, messages: 0 } });
    await deliver();
    expect(wecomText().filter((c) => c.includes('稳定性周报'))).to.have.length(0);
  });

  it('sends from the report page: email and chat, then says what was queued', async () => {
    await channel({ name: '稳定性群', kind: 'wecom', url: `${rx.url}/wecom/cgi-bin/webhook/send?key=${ROBOT_KEY}` });
    await addPeople(t, [['lead@example.com', 'editor', 'zh-CN']]);
    const { agent } = await signedIn(t.app, 'lead@example.com');
    const page = await agent.get('/reports/weekly?week=2023-08').expect(200);
    expect(page.text).to.include('发送报告');
    const sent = await agent
      .post('/reports/send')
      .type('form')
      .send({ _csrf: formToken(page.text), back: '/reports/weekly?week=2023-08', template: 'weekly', week: '2023-08', recipients: 'boss@example.com，sre@example.com', chat: 'true' })
      .expect(303);
    expect(sent.headers.location).to.equal('/reports/weekly?week=2023-08&sentEmails=2&sentChat=1#send');
    const after = await agent.get(String(sent.headers.location).replace('#send', '')).expect(200);
    expect(after.text).to.include('已排队：邮件 2 封，聊天消息 1 条。');
    const { items } = (await t.api.get('/api/v1/outbox').query({ to: 'boss@example.com' }).expect(200)).body;
    expect(items[0].subject).to.equal('第08周 2023/02/18');
    // A viewer may read the report but not send it.
    await addPeople(t, [['viewer@example.com', 'viewer', 'zh-CN']]);
    const viewer = await signedIn(t.app, 'viewer@example.com');
    const refused = await viewer.agent.post('/reports/send').type('form').send({ _csrf: viewer.token, week: '2023-08', recipients: 'x@example.com' });
    expect(refused.status).to.equal(403);
  });
});
