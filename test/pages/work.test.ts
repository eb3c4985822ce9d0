import { expect } from 'chai';
import supertest from 'supertest';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import type { Locale } from '../../src/lib/config.js';
import type { Role } from '../../src/users/permissions.js';
import { linkAfter, startSmtp, type TestSmtp } from '../reminders/smtp.js';
import { createTestContext, type TestContext } from '../support/context.js';

const PASSWORD = 'a long enough password';

function formToken(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no _csrf field on the page');
  return token;
}

/** The values of the form inputs a page shows (the last of repeated names), as a person would post them back. */
function formValues(html: string, formAction: string): Record<string, string> {
  const form = new RegExp(`<form[^>]*action="${formAction}"[\\s\\S]*?</form>`).exec(html)?.[0] ?? '';
  const out: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input[^>]*>/g)) {
    const name = / name="(\w+)"/.exec(tag)?.[1];
    if (name) out[name] = decode(/ value="([^"]*)"/.exec(tag)?.[1] ?? '');
  }
  for (const m of form.matchAll(/<textarea[^>]*name="(\w+)"[^>]*>([\s\S]*?)<\/textarea>/g)) out[m[1]!] = decode(m[2]!);
  for (const m of form.matchAll(/<select[^>]*name="(\w+)"[^>]*>([\s\S]*?)<\/select>/g)) out[m[1]!] = /<option value="([^"]*)"[^>]*selected/.exec(m[2]!)?.[1] ?? '';
  return out;
}
const decode = (s: string) => s.replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('pages for the work: editing, actions, lists, mail, people and account', function () {
  this.timeout(120_000);
  let t: TestContext;
  let smtp: TestSmtp;

  const people: [string, Role, Locale][] = [
    ['ed@example.com', 'editor', 'en'],
    ['eve@example.com', 'editor', 'en'],
    ['ada@example.com', 'admin', 'en'],
    ['vic@example.com', 'viewer', 'en'],
    ['mei@example.com', 'viewer', 'zh-CN'],
  ];

  before(async () => {
    smtp = await startSmtp();
    t = await createTestContext('pages_work', { DEFAULT_LOCALE: 'en', DEFAULT_TIMEZONE: 'Asia/Shanghai', SMTP_URL: smtp.url });
    for (const [email, role, locale] of people) {
      const user = await t.services.users.create({ email, name: email.split('@')[0]!, role, locale }, SYSTEM_ACTOR);
      await t.services.users.setPassword(user.id, PASSWORD, SYSTEM_ACTOR);
    }
  });
  after(async () => {
    await t.close();
    await smtp.stop();
  });

  async function signedIn(email: string): Promise<{ agent: supertest.Agent; token: string }> {
    const agent = supertest.agent(t.app);
    const login = await agent.get('/login').expect(200);
    await agent.post('/login').type('form').send({ _csrf: formToken(login.text), email, password: PASSWORD, next: '/' }).expect(303);
    return { agent, token: formToken((await agent.get('/me').expect(200)).text) };
  }
  const mailTo = (email: string) => smtp.received.filter((m) => (m.to as { text: string }).text === email);
  const deliver = async () => {
    t.clock.advance(60_000);
    await t.services.reviewNotices.send();
    await t.services.outbox.deliver();
  };

  it('edits every section from the same form; emptied fields are cleared, and nothing else changes', async () => {
    const key = (
      await t.api
        .post('/api/v1/incidents')
        .send({
          title: 'Queue backlog',
          severity: 'C',
          status: 'mitigated',
          window: { startedAt: '2026-11-20T08:00', detectedAt: '2026-11-20T08:30', mitigatedAt: '2026-11-20T09:00' },
          impact: { summary: 'Orders were late', errorRatios: [{ label: 'orders', totalRows: 1000, errorRows: 12 }] },
          cause: { trigger: 'A deploy', rootCauses: ['No backpressure'], contributingFactors: ['No alert'] },
          lessons: { wentWell: ['Rollback was quick'] },
        })
        .expect(201)
    ).body.key;
    const { agent, token } = await signedIn('ed@example.com');
    const page = await agent.get(`/incidents/${key}/edit`).expect(200);
    const values = formValues(page.text, `/incidents/${key}/edit`);
    expect(values).to.include({ title: 'Queue backlog', startedAt: '2026-11-20T08:00', impact: 'Orders were late', ratioLabel: '', rootCauses: 'No backpressure', version: '0' });
    expect(page.text).to.include('name="ratioLabel" value="orders"').and.include('name="ratioTotal" value="1000"');

    await agent
      .post(`/incidents/${key}/edit`)
      .type('form')
      .send({
        ...values,
        _csrf: token,
        status: 'resolved',
        resolvedAt: '2026-11-20T11:00',
        impact: 'Orders were late by up to an hour',
        ratioLabel: ['orders', 'refunds', ''],
        ratioTotal: ['1,000', '200', ''],
        ratioErrors: ['12', '3', ''],
        contributingFactors: '',
        wentWell: '',
        repairDescription: 'Replayed the queue',
        repairRows: '12',
      })
      .expect(303);
    const after = (await t.api.get(`/api/v1/incidents/${key}`).expect(200)).body;
    expect(after).to.include({ status: 'resolved', version: 1 });
    expect(after.window).to.deep.equal({ startedAt: '2026-11-20T08:00', detectedAt: '2026-11-20T08:30', mitigatedAt: '2026-11-20T09:00', resolvedAt: '2026-11-20T11:00' });
    expect(after.impact.errorRatios.map((r: { label: string; totalRows: number; errorRows: number }) => [r.label, r.totalRows, r.errorRows])).to.deep.equal([
      ['orders', 1000, 12],
      ['refunds', 200, 3],
    ]);
    expect(after.cause).to.deep.equal({ trigger: 'A deploy', rootCauses: ['No backpressure'] });
    expect(after.lessons ?? {}).to.deep.equal({});
    expect(after.dataRepair).to.deep.equal({ description: 'Replayed the queue', rowsRepaired: 12 });

    // A status the record cannot take is refused with the service's reason, the form kept.
    const edit = formValues((await agent.get(`/incidents/${key}/edit`).expect(200)).text, `/incidents/${key}/edit`);
    await t.api.patch(`/api/v1/incidents/${key}`).send({ version: 1, status: 'closed' }).expect(200);
    const refused = await agent.post(`/incidents/${key}/edit`).type('form').send({ ...edit, _csrf: token, version: '2', status: 'investigating' }).redirects(1).expect(409);
    expect(refused.text).to.include('cannot move from closed to investigating').and.include('Nothing was saved');
  });

  it('a stale save is refused, says what changed meanwhile, keeps what was typed, and the next save wins', async () => {
    const key = (await t.api.post('/api/v1/incidents').send({ title: 'Cache stampede', severity: 'D', impact: { summary: 'Slow pages' } }).expect(201)).body.key;
    const ed = await signedIn('ed@example.com');
    const values = formValues((await ed.agent.get(`/incidents/${key}/edit`).expect(200)).text, `/incidents/${key}/edit`);
    // Eve saves first, changing the trigger and the title.
    const eve = await signedIn('eve@example.com');
    const hers = formValues((await eve.agent.get(`/incidents/${key}/edit`).expect(200)).text, `/incidents/${key}/edit`);
    await eve.agent.post(`/incidents/${key}/edit`).type('form').send({ ...hers, _csrf: eve.token, title: 'Cache stampede on login', trigger: 'Cold cache after deploy' }).expect(303);

    const stale = await ed.agent.post(`/incidents/${key}/edit`).type('form').send({ ...values, _csrf: ed.token, impact: 'Slow pages for 20 minutes' }).redirects(1).expect(409);
    expect(stale.text).to.include('Someone else saved this incident while you were editing').and.include('<li>Title</li>').and.include('<li>Trigger</li>');
    expect(stale.text).to.include('Slow pages for 20 minutes</textarea>').and.include('name="version" value="1"');
    expect((await t.api.get(`/api/v1/incidents/${key}`).expect(200)).body.impact.summary).to.equal('Slow pages');

    // Saved again from that page (the version it now carries), Ed's impact is kept and so is Eve's trigger he did not touch.
    await ed.agent.post(`/incidents/${key}/edit`).type('form').send({ ...formValues(stale.text, `/incidents/${key}/edit`), _csrf: ed.token, trigger: 'Cold cache after deploy' }).expect(303);
    const body = (await t.api.get(`/api/v1/incidents/${key}`).expect(200)).body;
    expect(body.impact.summary).to.equal('Slow pages for 20 minutes');
    expect(body.cause.trigger).to.equal('Cold cache after deploy');
  });

  it('refuses a local time the zone skipped (daylight saving), in the form and the API', async () => {
    const { agent, token } = await signedIn('ed@example.com');
    const before = (await t.api.get('/api/v1/incidents').expect(200)).body.total;
    const res = await agent
      .post('/incidents/new')
      .type('form')
      .send({ _csrf: token, title: 'Spring forward', timezone: 'America/New_York', startedAt: '2026-03-08T02:30' })
      .redirects(1).expect(400);
    expect(res.text).to.include('Started: 2026-03-08 02:30 does not exist in America/New_York: the clocks skipped that hour for daylight saving time.');
    const api = await t.api.post('/api/v1/incidents').send({ title: 'Spring forward', timezone: 'America/New_York', window: { startedAt: '2026-03-08T02:30' } }).expect(400);
    expect(api.body.error.fields).to.deep.include({ field: 'window.startedAt', message: '2026-03-08T02:30 does not exist in America/New_York: the clocks skipped it (daylight saving time)' });
    expect((await t.api.get('/api/v1/incidents').expect(200)).body.total).to.equal(before);
    // The hour that exists twice (autumn) is fine.
    await t.api.post('/api/v1/incidents').send({ title: 'Fall back', timezone: 'America/New_York', window: { startedAt: '2026-11-01T01:30' } }).expect(201);
  });

  it('adds an action from the incident page and edits it; the owner hears by email within a minute with one-click links', async () => {
    const key = (await t.api.post('/api/v1/incidents').send({ title: 'Disk full', severity: 'D' }).expect(201)).body.key;
    const { agent, token } = await signedIn('ed@example.com');
    const added = await agent
      .post(`/incidents/${key}/actions/new`)
      .type('form')
      .send({ _csrf: token, title: 'Alert at 80% disk', owner: 'vic@example.com', priority: 'high', type: 'detect', team: 'infra', dueDate: '', ticketKey: 'OPS-12', ticketUrl: 'https://tickets.example.com/OPS-12' })
      .expect(303);
    expect(added.headers.location).to.equal(`/incidents/${key}#${key}-A1`);
    const action = (await t.api.get(`/api/v1/actions/${key}-A1`).expect(200)).body;
    expect(action).to.deep.include({ owner: 'vic@example.com', priority: 'high', type: 'detect', team: 'infra', dueDate: '2026-12-23', dueDateSource: 'sla', ticket: { key: 'OPS-12', url: 'https://tickets.example.com/OPS-12' } });

    await deliver();
    const [mail] = mailTo('vic@example.com');
    expect(mail?.text).to.include(`${key}-A1 Alert at 80% disk`);
    const done = linkAfter(mail!.text!, 'Mark done');
    expect((await supertest(t.app).get(new URL(done).pathname).expect(200)).text).to.include('Alert at 80% disk');

    // Edit: a new priority moves the SLA date; an untouched due date stays the SLA's, and only what changed is recorded.
    const page = (await agent.get(`/incidents/${key}`).expect(200)).text;
    const values = formValues(page, `/actions/${key}-A1/edit`);
    await agent.post(`/actions/${key}-A1/edit`).type('form').send({ ...values, _csrf: token, priority: 'low' }).expect(303);
    const edited = (await t.api.get(`/api/v1/actions/${key}-A1`).expect(200)).body;
    expect(edited).to.include({ priority: 'low', dueDate: '2027-02-23', dueDateSource: 'sla', version: 1 });
    const history = (await t.api.get(`/api/v1/actions/${key}-A1/history`).expect(200)).body.map((h: { field: string }) => h.field);
    expect(history).to.deep.equal(['created', 'priority', 'dueDate']);

    // A bad owner is refused on the page in place, and what was typed is kept.
    const bad = await agent.post(`/actions/${key}-A1/edit`).type('form').send({ ...values, _csrf: token, owner: 'not an email', version: '1' }).redirects(1).expect(400);
    expect(bad.text).to.include('value="not an email"').and.include('<details class="edit" open>');
  });

  it('reopens a done action from the page with a reason and the incident it came back in', async () => {
    const first = (await t.api.post('/api/v1/incidents').send({ title: 'Replica lag', severity: 'D', actions: [{ title: 'Alert on lag', owner: 'eve@example.com' }] }).expect(201)).body.key;
    const later = (await t.api.post('/api/v1/incidents').send({ title: 'Replica lag again', severity: 'D' }).expect(201)).body.key;
    await t.api.post(`/api/v1/actions/${first}-A1/transitions`).send({ to: 'done', note: 'Alert added', evidence: 'https://git.example.com/mr/1' }).expect(200);
    const { agent, token } = await signedIn('ed@example.com');
    const page = (await agent.get(`/incidents/${first}`).expect(200)).text;
    expect(page).to.include(`id="${first}-A1-open-recurred"`);
    await agent.post(`/actions/${first}-A1/transitions`).type('form').send({ _csrf: token, to: 'open', version: '1', reason: 'Lag came back unalerted', recurredIn: later }).expect(303);
    expect((await t.api.get(`/api/v1/actions/${first}-A1`).expect(200)).body).to.include({ status: 'open', recurring: true, recurredIn: later, statusReason: 'Lag came back unalerted' });
  });

  it('a refused move shows that move again, open, with what was typed, and leaves the edit form as the action is', async () => {
    const key = (await t.api.post('/api/v1/incidents').send({ title: 'Disk full', severity: 'D', actions: [{ title: 'Alert at 80%', owner: 'eve@example.com' }] }).expect(201)).body.key;
    await t.api.post(`/api/v1/actions/${key}-A1/transitions`).send({ to: 'done', note: 'Alert added', evidence: 'https://git.example.com/mr/2' }).expect(200);
    const { agent, token } = await signedIn('ed@example.com');
    // Sent from a page read before the action was done (version 0): refused as stale.
    const res = await agent.post(`/actions/${key}-A1/transitions`).type('form').send({ _csrf: token, to: 'open', version: '0', reason: 'Alert never fired' }).redirects(1);
    expect(res.status).to.equal(409);
    expect(res.text).to.include('<details class="move" open>').and.include('>Alert never fired</textarea>');
    expect(res.text).to.include('value="Alert at 80%"');
  });

  it('one given an action already overdue hears of it in their next digest', async () => {
    const key = (await t.api.post('/api/v1/incidents').send({ title: 'Expired cert', severity: 'D', actions: [{ title: 'Renew automatically', dueDate: '2026-11-01' }] }).expect(201)).body.key;
    await t.api.patch(`/api/v1/actions/${key}-A1`).send({ version: 0, owner: 'eve@example.com' }).expect(200);
    // The next digest time (09:00 in Shanghai) comes the next morning; the policy's own overdue days would not have said a word yet.
    t.clock.set('2026-11-26T01:30:00Z');
    await t.services.reminders.sendDigests();
    await t.services.outbox.deliver();
    const digest = mailTo('eve@example.com').find((m) => /overdue/i.test(m.subject ?? ''));
    expect(digest?.text).to.include(`${key}-A1`).and.include('Renew automatically');
    t.clock.set('2026-11-25T02:00:00Z');
  });

  it('lists incidents with filters, sort and pages whose links keep the filters; the actions page has its lists', async () => {
    for (let i = 0; i < 23; i++) await t.api.post('/api/v1/incidents').send({ title: `Paging ${i}`, severity: 'B', services: ['ledger'] }).expect(201);
    const { agent } = await signedIn('vic@example.com');
    const first = (await agent.get('/incidents?severity=B&service=ledger&pageSize=20&sort=key').expect(200)).text;
    expect(first).to.include('23 incidents · page 1 of 2');
    expect(decode(/<a href="([^"]*)" rel="next">/.exec(first)![1]!)).to.equal('/incidents?severity=B&service=ledger&sort=key&pageSize=20&page=2');
    const second = (await agent.get('/incidents?severity=B&service=ledger&pageSize=20&sort=key&page=2').expect(200)).text;
    expect((second.match(/<td class="key">/g) ?? []).length).to.equal(3);
    // A filter that is not one is a 400 page, not a 500.
    await agent.get('/incidents?sort=-nonsense').set('accept', 'text/html').expect(400);

    const mine = (await agent.get('/actions?view=mine').expect(200)).text;
    expect(mine).to.include('aria-current="page">Mine</a>').and.include('Alert at 80% disk');
    expect(mine).to.match(/href="\/incidents\/INC-\d{4}-\d{4}#INC-\d{4}-\d{4}-A1"/);
  });

  it('a password-reset link goes out through the outbox for a known email, and the page says the same for any email', async () => {
    const page = async (email: string) => {
      const agent = supertest.agent(t.app);
      const form = await agent.get('/login/reset').expect(200);
      return (await agent.post('/login/reset').type('form').send({ _csrf: formToken(form.text), email }).expect(200)).text;
    };
    const known = await page('eve@example.com');
    const unknown = await page('nobody@example.com');
    const sentence = 'If that email has an account here, a link is on its way';
    expect(known).to.include(sentence);
    expect(unknown).to.include(sentence);
    await t.services.outbox.deliver();
    expect(mailTo('nobody@example.com')).to.have.length(0);
    const reset = mailTo('eve@example.com').find((m) => m.subject === 'Debrief: your sign-in link');
    const link = linkAfter(`link: ${/http\S+\/login\/link\?token=\S+/.exec(reset!.text!)![0]}`, 'link');
    const agent = supertest.agent(t.app);
    // The link opens a confirmation page; its button signs in and leads to the password form.
    const confirm = await agent.get(new URL(link).pathname + new URL(link).search).expect(200);
    const token = new URL(link).searchParams.get('token')!;
    const signedIn = await agent.post('/login/link').type('form').send({ _csrf: formToken(confirm.text), token }).expect(303);
    expect(signedIn.headers.location).to.equal('/account/password');
    // Three asks an hour for one email; the fourth is refused and sends nothing.
    await page('eve@example.com');
    await page('eve@example.com');
    const agent2 = supertest.agent(t.app);
    const form = await agent2.get('/login/reset').expect(200);
    await agent2.post('/login/reset').type('form').send({ _csrf: formToken(form.text), email: 'eve@example.com' }).redirects(1).expect(429);
  });

  it('people: an admin changes a role and disables a person; others get 403', async () => {
    const { agent, token } = await signedIn('ada@example.com');
    const list = (await agent.get('/people').expect(200)).text;
    expect(list).to.include('vic@example.com').and.include('Send invitation');
    const vic = await t.services.users.find('vic@example.com');
    await agent.post('/people/vic@example.com').type('form').send({ _csrf: token, version: String(vic.version), role: 'reviewer' }).expect(303);
    await agent.post('/people/vic@example.com').type('form').send({ _csrf: token, version: String(vic.version + 1), disabled: 'true' }).expect(303);
    const after = await t.services.users.find('vic@example.com');
    expect(after).to.include({ role: 'reviewer', disabled: true });
    expect(await t.services.users.checkPassword('vic@example.com', PASSWORD)).to.equal(undefined);
    await agent.post('/people/vic@example.com').type('form').send({ _csrf: token, version: String(after.version), disabled: 'false', role: 'viewer' }).expect(303);

    // Not oneself: an admin who demoted themselves could leave nobody to undo it.
    const ada = await t.services.users.find('ada@example.com');
    const self = await agent.post('/people/ada@example.com').type('form').send({ _csrf: token, version: String(ada.version), role: 'viewer' }).redirects(1).expect(422);
    expect(self.text).to.include('You cannot change your own role or disable yourself');
    expect((await t.services.users.find('ada@example.com')).role).to.equal('admin');

    const ed = await signedIn('ed@example.com');
    await ed.agent.get('/people').set('accept', 'text/html').expect(403);
    await ed.agent.post('/people/invite').set('accept', 'text/html').type('form').send({ _csrf: ed.token, email: 'x@example.com', role: 'admin' }).redirects(1).expect(403);
    expect((await t.services.users.byEmail(['x@example.com'])).size).to.equal(0);
  });

  it('account: a person keeps their chat identities for mentions; a bad one is named in their language and nothing changes', async () => {
    const { agent, token } = await signedIn('ed@example.com');
    const person = await t.services.users.find('ed@example.com');
    const form = { _csrf: token, name: person.name, locale: 'zh-CN', timezone: person.timezone };
    const version = async () => String((await t.services.users.find('ed@example.com')).version);
    await agent.post('/account').type('form').send({ ...form, version: await version(), chat_wecom: ' zhangsan ', chat_feishu: 'ou_7d8a6e', chat_slack: 'U012AB3CD' }).expect(303);
    const saved = { wecom: 'zhangsan', feishu: 'ou_7d8a6e', slack: 'U012AB3CD' };
    expect((await t.services.users.find('ed@example.com')).chat).to.deep.equal(saved);
    const page = (await agent.get('/account').expect(200)).text;
    expect(page).to.include('聊天账号').and.include('value="ou_7d8a6e"').and.include('value="U012AB3CD"');

    const bad = await agent.post('/account').type('form').send({ ...form, version: await version(), chat_wecom: 'lisi', chat_slack: '<@U1>' }).redirects(1).expect(400);
    expect(bad.text).to.include('Slack 成员 ID：只能包含字母、数字和 . _ @ + -');
    // What was typed stays on the form, and nothing changed.
    expect(bad.text).to.include('value="lisi"').and.include('value="&lt;@U1&gt;"');
    expect((await t.services.users.find('ed@example.com')).chat).to.deep.equal(saved);

    // Emptied, they are gone (and the page back in English for the next test).
    await agent.post('/account').type('form').send({ ...form, locale: 'en', version: await version() }).expect(303);
    expect((await t.services.users.find('ed@example.com')).chat).to.equal(undefined);
  });

  it('people: an admin fills in a person’s chat identities; a bad one is refused on that person’s row', async () => {
    const { agent, token } = await signedIn('ada@example.com');
    const version = async () => String((await t.services.users.find('ed@example.com')).version);
    await agent.post('/people/ed@example.com/chat').type('form').send({ _csrf: token, version: await version(), chat_dingtalk: '13800000000', chat_feishu: 'ou_51a9' }).expect(303);
    expect((await t.services.users.find('ed@example.com')).chat).to.deep.equal({ dingtalk: '13800000000', feishu: 'ou_51a9' });
    const page = (await agent.get('/people').expect(200)).text;
    expect(page).to.include('Feishu open_id: ou_51a9 · DingTalk user id or mobile: 13800000000');

    const bad = await agent.post('/people/ed@example.com/chat').type('form').send({ _csrf: token, version: await version(), chat_slack: 'U 1' }).redirects(1).expect(400);
    expect(bad.text).to.include('Slack member id: letters, digits and . _ @ + - only').and.include('value="U 1"');
    expect(bad.text).to.match(/<details open><summary>Chat accounts of /);
    expect((await t.services.users.find('ed@example.com')).chat).to.deep.equal({ dingtalk: '13800000000', feishu: 'ou_51a9' });

    // An editor may not.
    const ed = await signedIn('ed@example.com');
    await ed.agent.post('/people/ed@example.com/chat').set('accept', 'text/html').type('form').send({ _csrf: ed.token, version: await version() }).redirects(1).expect(403);
    await agent.post('/people/ed@example.com/chat').type('form').send({ _csrf: token, version: await version() }).expect(303);
    expect((await t.services.users.find('ed@example.com')).chat).to.equal(undefined);
  });

  it('account: a person picks language and time zone; the header switch changes the language for the current page', async () => {
    const { agent, token } = await signedIn('ed@example.com');
    const account = (await agent.get('/account').expect(200)).text;
    const version = /name="version" value="(\d+)"/.exec(account)![1]!;
    const bad = await agent.post('/account').type('form').send({ _csrf: token, version, name: 'ed', locale: 'en', timezone: 'Mars/Olympus' }).redirects(1).expect(400);
    expect(bad.text).to.include('not a time zone');
    await agent.post('/account').type('form').send({ _csrf: token, version, name: 'Ed', locale: 'zh-CN', timezone: 'Europe/Berlin' }).expect(303);
    expect(await t.services.users.find('ed@example.com')).to.include({ name: 'Ed', locale: 'zh-CN', timezone: 'Europe/Berlin' });
    expect((await agent.get('/actions?view=mine').expect(200)).text).to.include('<h1>未完成的改进措施</h1>');

    const back = await agent.post('/account/locale').type('form').send({ _csrf: token, locale: 'en', next: '/actions?view=mine&lang=en' }).expect(303);
    expect(back.headers.location).to.equal('/actions?view=mine');
    expect((await agent.get('/actions?view=mine').expect(200)).text).to.include('<h1>Open corrective actions</h1>');
    await agent.post('/account/locale').type('form').send({ _csrf: token, locale: 'en', next: '//evil.example' }).expect(303).expect('location', '/');

    // Before sign-in, ?lang= switches the page and a cookie keeps it.
    const anon = supertest.agent(t.app);
    expect((await anon.get('/login?lang=zh-CN').set('accept-language', 'en').expect(200)).text).to.include('<h1>登录</h1>');
    expect((await anon.get('/login').set('accept-language', 'en').expect(200)).text).to.include('<h1>登录</h1>');
  });
});
