import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { addPeople, formToken, signedIn } from '../pages/helpers.js';
import { startSmtp, type TestSmtp } from '../reminders/smtp.js';

/**
 * An invitation as an admin follows it on the People page and the outbox page, through a real SMTP
 * server that goes down and comes back: queued, failed and retrying, failed, retried now, sent once.
 */
describe('outbox page and invitation states', function () {
  this.timeout(60_000);
  let t: TestContext;
  let smtp: TestSmtp;

  before(async () => {
    smtp = await startSmtp();
    t = await createTestContext('outbox_pages', { SMTP_URL: smtp.url, OUTBOX_MAX_ATTEMPTS: '2', OUTBOX_RETRY_SECONDS: '60', DEFAULT_LOCALE: 'zh-CN', DEFAULT_TIMEZONE: 'Asia/Shanghai' });
    await addPeople(t, [
      ['root@example.com', 'admin', 'zh-CN'],
      ['ed@example.com', 'editor', 'en'],
    ]);
  });
  after(async () => {
    await t.close();
    await smtp.stop();
  });

  const rowOf = (html: string, email: string) => {
    const start = html.indexOf(`<tr id="${email}">`);
    expect(start, `row of ${email}`).to.be.greaterThan(-1);
    return html.slice(start, html.indexOf('</tr>', start));
  };
  const invites = () => smtp.received.filter((m) => (m.to as { text: string }).text === 'new@example.com');

  it('says queued until the outbox sent the invitation, failed with the reason, and sends it once on retry', async () => {
    const { agent } = await signedIn(t.app, 'root@example.com');
    const people = await agent.get('/people').expect(200);
    const invited = await agent.post('/people/invite').type('form').send({ _csrf: formToken(people.text), email: 'new@example.com', name: '新人', role: 'viewer' }).expect(303);
    let page = (await agent.get(invited.headers.location!).expect(200)).text;
    expect(page).to.include('发往 new@example.com 的一次性登录链接已排队').and.not.include('已发往');
    expect(rowOf(page, 'new@example.com')).to.include('登录链接：排队中');

    // The mail server is down: the first attempt fails and will be retried, the second fails for good.
    await smtp.stop();
    expect((await t.services.outbox.deliver()).retrying).to.equal(1);
    page = (await agent.get('/people').expect(200)).text;
    expect(rowOf(page, 'new@example.com')).to.match(/登录链接：发送失败，将重试：\S/);
    t.clock.advance(61_000);
    expect((await t.services.outbox.deliver()).failed).to.equal(1);
    page = (await agent.get('/people').expect(200)).text;
    expect(rowOf(page, 'new@example.com')).to.match(/登录链接：发送失败：\S/).and.not.include('将重试');

    // The outbox page, linked for admins, lists it failed with its attempts and a retry button.
    expect(page).to.include('<a href="/admin/outbox">发件箱</a>');
    const outbox = (await agent.get('/admin/outbox?status=failed').expect(200)).text;
    const id = /<tr id="m-([0-9a-f]{24})"/.exec(outbox)?.[1];
    expect(id, outbox).to.be.a('string');
    const row = outbox.slice(outbox.indexOf(`<tr id="m-${id}"`), outbox.indexOf('</tr>', outbox.indexOf(`<tr id="m-${id}"`)));
    expect(row).to.include('data-state="failed"').and.include('new@example.com').and.include('<td data-label="尝试次数">2</td>').and.include(`action="/admin/outbox/${id}/retry"`);

    // Without the form token the retry is refused; with it, the message is sent now, and a second press sends nothing more.
    await agent.post(`/admin/outbox/${id}/retry`).type('form').send({}).expect(403);
    await smtp.start();
    expect(invites()).to.have.length(0);
    const retried = await agent.post(`/admin/outbox/${id}/retry`).type('form').send({ _csrf: formToken(outbox) }).expect(303);
    expect(retried.headers.location).to.equal(`/admin/outbox?retried=${id}#m-${id}`);
    await agent.post(`/admin/outbox/${id}/retry`).type('form').send({ _csrf: formToken(outbox) }).expect(303);
    await t.api.post(`/api/v1/outbox/${id}/retry`).expect(200);
    await t.services.outbox.deliver();
    expect(invites()).to.have.length(1);
    page = (await agent.get('/people').expect(200)).text;
    expect(rowOf(page, 'new@example.com')).to.match(/登录链接：已于 \d{4}-\d\d-\d\d \d\d:\d\d \S+ 发出/);
    expect((await agent.get('/admin/outbox').expect(200)).text).to.include('data-state="sent"');
  });

  it('is for admins only, and answers 404 for a message that is not there', async () => {
    const { agent } = await signedIn(t.app, 'ed@example.com');
    const home = (await agent.get('/incidents').expect(200)).text;
    expect(home).not.to.include('/admin/outbox');
    await agent.get('/admin/outbox').expect(403);
    const editor = await t.as('editor', 'ed@example.com');
    await editor.post('/api/v1/outbox/0123456789abcdef01234567/retry').expect(403);
    await t.api.post('/api/v1/outbox/0123456789abcdef01234567/retry').expect(404);
    await t.api.post('/api/v1/outbox/not-an-id/retry').expect(404);
  });
});
