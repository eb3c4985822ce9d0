import { expect } from 'chai';
import type { Locale } from '../../src/lib/config.js';
import type { Role } from '../../src/users/permissions.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { addPeople, signedIn as signedInAs } from './helpers.js';



/** The text of the page's message box (a refusal shown on the page). */
function notice(html: string): string {
  return /<div class="notice" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim() ?? '';
}

describe('page forms: file an incident, comment, review, move actions', function () {
  this.timeout(60_000);
  let t: TestContext;

  // The English assertions below are what these people see in their locale; Mei reads Chinese.
  const people: [string, Role, Locale][] = [
    ['ed@example.com', 'editor', 'en'],
    ['rita@example.com', 'reviewer', 'en'],
    ['vic@example.com', 'viewer', 'en'],
    ['mei@example.com', 'editor', 'zh-CN'],
  ];

  before(async () => {
    t = await createTestContext('pages_forms', { DEFAULT_LOCALE: 'en', DEFAULT_TIMEZONE: 'Asia/Shanghai' });
    await addPeople(t, people);
  });
  after(() => t.close());

  const signedIn = (email: string) => signedInAs(t.app, email);

  const count = async () => (await t.api.get('/api/v1/incidents').expect(200)).body.total as number;

  /** An incident ready for review (impact, cause, two actions: A1 unowned, A2 owned by Vic), filed through the API. */
  async function reviewable(title: string): Promise<string> {
    const res = await t.api
      .post('/api/v1/incidents')
      .send({
        title,
        severity: 'C',
        impact: { summary: 'Checkout failed for 12 minutes' },
        cause: { trigger: 'A config push' },
        actions: [{ title: 'Validate config before push' }, { title: 'Alert on checkout errors', owner: 'vic@example.com' }],
      })
      .expect(201);
    return res.body.key;
  }

  it('files an incident through the form: instants in its zone, a date-only start kept to the day, lists split', async () => {
    const { agent, token } = await signedIn('ed@example.com');
    const form = await agent.get('/incidents/new').expect(200);
    expect(form.text).to.include('name="timezone" value="Asia/Shanghai"').and.include('<option value="E" selected>');

    const res = await agent
      .post('/incidents/new')
      .type('form')
      .send({
        _csrf: token,
        title: 'Ledger double-posting',
        severity: 'B',
        status: 'resolved',
        timezone: 'Asia/Shanghai',
        startedAt: '',
        startedAtDay: '2026-11-20',
        detectedAt: '2026-11-24T09:30',
        mitigatedAt: '2026-11-24T11:05',
        resolvedAt: '2026-11-24T16:00',
        services: 'ledger, payments-api,',
        impact: '6,131 postings were doubled',
        trigger: 'A retry storm after a deploy',
        rootCauses: 'No idempotency key on postings\r\n\r\nRetries without backoff\r\n',
        remediation: 'Rolled back and reversed the duplicates',
        actionTitle: ['Add idempotency keys', 'Back off retries', ''],
        actionOwner: ['rita@example.com', '', ''],
        actionPriority: ['high', 'medium', 'medium'],
        actionType: ['prevent', 'other', 'other'],
        actionDue: ['', '2026-12-31', ''],
      })
      .expect(303);
    const key = /^\/incidents\/(INC-2026-\d{4})$/.exec(res.headers.location!)?.[1];
    expect(key, res.headers.location).to.be.a('string');

    const incident = (await t.api.get(`/api/v1/incidents/${key}`).expect(200)).body;
    expect(incident).to.include({ title: 'Ledger double-posting', severity: 'B', status: 'resolved', timezone: 'Asia/Shanghai' });
    expect(incident.window).to.deep.equal({ startedAt: '2026-11-20', detectedAt: '2026-11-24T09:30', mitigatedAt: '2026-11-24T11:05', resolvedAt: '2026-11-24T16:00' });
    expect(incident.instants.startedAt).to.deep.equal({ at: '2026-11-19T16:00:00.000Z', precision: 'day' });
    expect(incident.instants.detectedAt).to.deep.equal({ at: '2026-11-24T01:30:00.000Z', precision: 'minute' });
    expect(incident.instants.resolvedAt).to.deep.equal({ at: '2026-11-24T08:00:00.000Z', precision: 'minute' });
    expect(incident.services).to.deep.equal(['ledger', 'payments-api']);
    expect(incident.impact.summary).to.equal('6,131 postings were doubled');
    expect(incident.cause).to.deep.equal({ trigger: 'A retry storm after a deploy', rootCauses: ['No idempotency key on postings', 'Retries without backoff'] });
    expect(incident.remediation.summary).to.equal('Rolled back and reversed the duplicates');
    // Each action row with its owner, priority, type and due date (the empty row is not an action); a missing date from the SLA.
    expect(incident.actions.map((a: Record<string, unknown>) => [a.key, a.title, a.owner, a.priority, a.type, a.dueDate, a.dueDateSource])).to.deep.equal([
      [`${key}-A1`, 'Add idempotency keys', 'rita@example.com', 'high', 'prevent', '2026-12-22', 'sla'],
      [`${key}-A2`, 'Back off retries', null, 'medium', 'other', '2026-12-31', 'given'],
    ]);

    const page = await agent.get(res.headers.location!).expect(200);
    expect(page.text).to.include('Ledger double-posting').and.include(`id="${key}-A2"`);
  });

  it('a bad form is shown again with the values kept and each message by its field, and files nothing', async () => {
    const { agent, token } = await signedIn('ed@example.com');
    const before = await count();
    // Refused by the schema (and the form's own "time or day" rule).
    const bad = await agent
      .post('/incidents/new')
      .type('form')
      .send({ _csrf: token, title: '  ', timezone: 'Mars/Olympus', startedAt: '2026-11-24T10:00', startedAtDay: '2026-11-24', services: 'ledger', actionTitle: 'Fix it' })
      .redirects(1).expect(400);
    expect(bad.headers['content-type']).to.match(/text\/html/);
    expect(bad.text).to.match(/<input id="title"[^>]*aria-invalid="true"[^>]*>\s*<p class="field-error" id="title-error">needed<\/p>/);
    expect(bad.text).to.match(/<input id="timezone"[^>]*value="Mars\/Olympus"[^>]*>\s*<p class="field-error">not a time zone; pick one such as Asia\/Shanghai/);
    expect(bad.text).to.include('Started: give the time or only the day, not both');
    expect(bad.text).to.include('name="services" value="ledger"').and.include('name="actionTitle" value="Fix it"');
    expect(bad.text).to.include('name="startedAt" type="datetime-local" value="2026-11-24T10:00"').and.include('name="startedAtDay" type="date" value="2026-11-24"');
    expect(bad.text).to.include('Nothing was saved: fix the fields marked below.');

    // Refused by the service's rules: times out of order, a resolved incident without its resolution time.
    const late = await agent
      .post('/incidents/new')
      .type('form')
      .send({ _csrf: token, title: 'Out of order', status: 'resolved', startedAt: '2026-11-24T10:00', detectedAt: '2026-11-23T09:00', rootCauses: 'x' })
      .redirects(1).expect(400);
    // In the person's words: labels, not the API's field paths.
    expect(late.text).to.include('Detected: must not be before Started').and.include('Resolved: needed when the status is Resolved').and.not.include('window.');
    expect(late.text).to.include('value="Out of order"');
    expect(await count()).to.equal(before);
  });

  it('a viewer sees no New incident link, and gets a 403 page for the form and its post', async () => {
    const editor = await signedIn('ed@example.com');
    expect((await editor.agent.get('/').expect(200)).text).to.include('<a href="/incidents/new">New incident</a>');

    const { agent, token } = await signedIn('vic@example.com');
    const home = await agent.get('/').expect(200);
    expect(home.text).not.to.include('/incidents/new');
    const page = await agent.get('/incidents/new').set('accept', 'text/html').expect(403);
    expect(page.headers['content-type']).to.match(/text\/html/);
    const before = await count();
    const post = await agent.post('/incidents/new').set('accept', 'text/html').type('form').send({ _csrf: token, title: 'Filed by a viewer' }).redirects(1).expect(403);
    expect(post.text).to.include('A viewer may not do this');
    expect(await count()).to.equal(before);

    // Nor does a viewer get comment forms, or a comment in by posting anyway.
    const key = await reviewable('Viewer reads only');
    const incident = await agent.get(`/incidents/${key}`).expect(200);
    expect(incident.text).not.to.include(`action="/incidents/${key}/comments"`);
    await agent.post(`/incidents/${key}/comments`).type('form').send({ _csrf: token, section: 'impact', body: 'sneaky' }).redirects(1).expect(403);
    expect((await t.api.get(`/api/v1/incidents/${key}/comments`).expect(200)).body).to.deep.equal([]);
  });

  it('starts a thread on an action, replies and resolves it through the forms; a refusal is shown on the page', async () => {
    const key = await reviewable('Comments by form');
    const { agent, token } = await signedIn('rita@example.com');
    const page = await agent.get(`/incidents/${key}`).expect(200);
    expect(page.text).to.include(`<option value="action:${key}-A1">`);

    const started = await agent.post(`/incidents/${key}/comments`).type('form').send({ _csrf: token, section: `action:${key}-A1`, body: 'Who owns this? @ed@example.com' }).expect(303);
    const id = new RegExp(`^/incidents/${key}#comment-([0-9a-f]{24})$`).exec(started.headers.location!)?.[1];
    expect(id, started.headers.location).to.be.a('string');
    await agent.post(`/incidents/${key}/comments/${id}/replies`).type('form').send({ _csrf: token, body: 'Ed will take it' }).expect(303);

    // An empty comment is refused by the schema; the page says so in its box, not as JSON.
    const empty = await agent.post(`/incidents/${key}/comments`).type('form').send({ _csrf: token, section: 'impact', body: '' }).redirects(1).expect(400);
    expect(empty.headers['content-type']).to.match(/text\/html/);
    expect(notice(empty.text)).to.include('body: required');

    await agent.post(`/incidents/${key}/comments/${id}/resolve`).type('form').send({ _csrf: token }).expect(303);
    const threads = (await t.api.get(`/api/v1/incidents/${key}/comments`).expect(200)).body;
    expect(threads).to.have.length(1);
    expect(threads[0]).to.deep.include({ id, body: 'Who owns this? @ed@example.com', anchor: { section: 'action', actionKey: `${key}-A1` }, resolved: true, resolvedBy: 'rita@example.com' });
    expect(threads[0].replies.map((r: { body: string }) => r.body)).to.deep.equal(['Ed will take it']);
    const after = await agent.get(`/incidents/${key}`).expect(200);
    expect(after.text).to.include(`action="/incidents/${key}/comments/${id}/reopen"`);
  });

  it('review by form: the editor requests it, the reviewer approves (after a 409 for an open thread), the editor publishes', async () => {
    const key = await reviewable('Review by form');
    const ed = await signedIn('ed@example.com');
    const rita = await signedIn('rita@example.com');

    // A viewer is not a reviewer: 422 on the page, nothing requested.
    const wrong = await ed.agent.post(`/incidents/${key}/review/request`).type('form').send({ _csrf: ed.token, reviewers: 'vic@example.com' }).redirects(1).expect(422);
    expect(notice(wrong.text)).to.include('Reviewer 1: vic@example.com is a viewer, not a reviewer');
    expect((await ed.agent.get(`/incidents/${key}`).expect(200)).text).not.to.include('value="approve"');

    await ed.agent.post(`/incidents/${key}/review/request`).type('form').send({ _csrf: ed.token, reviewers: 'rita@example.com', note: 'Please look' }).expect(303);
    expect((await ed.agent.get(`/incidents/${key}`).expect(200)).text).not.to.include('value="approve"');
    expect((await rita.agent.get(`/incidents/${key}`).expect(200)).text).to.include('value="approve"');

    const thread = await t.api.post(`/api/v1/incidents/${key}/comments`).send({ anchor: { section: 'cause' }, body: 'Why did the push skip CI?' }).expect(201);
    const refused = await rita.agent.post(`/incidents/${key}/review/decisions`).type('form').send({ _csrf: rita.token, decision: 'approve' }).redirects(1).expect(409);
    expect(notice(refused.text)).to.include('unresolved');
    expect((await t.api.get(`/api/v1/incidents/${key}/review`).expect(200)).body.status).to.equal('in_review');

    await rita.agent.post(`/incidents/${key}/comments/${thread.body.id}/resolve`).type('form').send({ _csrf: rita.token }).expect(303);
    const approved = await rita.agent.post(`/incidents/${key}/review/decisions`).type('form').send({ _csrf: rita.token, decision: 'approve', note: 'Good write-up' }).expect(303);
    expect(approved.headers.location).to.equal(`/incidents/${key}#review`);
    const review = (await t.api.get(`/api/v1/incidents/${key}/review`).expect(200)).body;
    expect(review.status).to.equal('approved');
    expect(review.decisions[0]).to.include({ reviewer: 'rita@example.com', decision: 'approve', note: 'Good write-up' });

    // The reviewer may not publish (403 page); the editor sees the form and publishes.
    expect((await rita.agent.get(`/incidents/${key}`).expect(200)).text).not.to.include('/review/publish');
    await rita.agent.post(`/incidents/${key}/review/publish`).type('form').send({ _csrf: rita.token }).redirects(1).expect(403);
    expect((await ed.agent.get(`/incidents/${key}`).expect(200)).text).to.include(`action="/incidents/${key}/review/publish"`);
    await ed.agent.post(`/incidents/${key}/review/publish`).type('form').send({ _csrf: ed.token }).expect(303);
    expect((await t.api.get(`/api/v1/incidents/${key}/review`).expect(200)).body.status).to.equal('published');
  });

  it('marks an action done by form with its note and evidence; a viewer gets moves only for the action they own', async () => {
    const key = await reviewable('Actions by form');
    const vic = await signedIn('vic@example.com');
    const vicPage = (await vic.agent.get(`/incidents/${key}`).expect(200)).text;
    expect(vicPage).to.include(`action="/actions/${key}-A2/transitions"`).and.not.include(`action="/actions/${key}-A1/transitions"`);
    // Posting anyway is refused by the service's rule, shown on the page.
    const refused = await vic.agent.post(`/actions/${key}-A1/transitions`).type('form').send({ _csrf: vic.token, to: 'in_progress' }).redirects(1).expect(403);
    expect(notice(refused.text)).to.include('may move only the actions you own');

    const { agent, token } = await signedIn('ed@example.com');
    const page = (await agent.get(`/incidents/${key}`).expect(200)).text;
    expect(page).to.include(`id="${key}-A1-done-note"`).and.include(`id="${key}-A1-blocked-reason"`);

    const missing = await agent.post(`/actions/${key}-A1/transitions`).type('form').send({ _csrf: token, to: 'done', version: '0', note: 'Added a schema check' }).redirects(1).expect(422);
    expect(notice(missing.text)).to.include('needs a completion note and evidence').and.include('Evidence: links or text, one per line: needed').and.not.include('evidence: required');
    expect((await t.api.get(`/api/v1/actions/${key}-A1`).expect(200)).body.status).to.equal('open');

    const done = await agent
      .post(`/actions/${key}-A1/transitions`)
      .type('form')
      .send({ _csrf: token, to: 'done', version: '0', note: 'Added a schema check to the push job', evidence: 'https://git.example.com/infra/-/merge_requests/7\r\nRunbook updated' })
      .expect(303);
    expect(done.headers.location).to.equal(`/incidents/${key}#${key}-A1`);
    const action = (await t.api.get(`/api/v1/actions/${key}-A1`).expect(200)).body;
    expect(action).to.include({ status: 'done', completionNote: 'Added a schema check to the push job' });
    expect(action.evidence).to.deep.equal(['https://git.example.com/infra/-/merge_requests/7', 'Runbook updated']);

    // The form's version is checked: a second post of the same form is stale (409 on the page).
    const stale = await agent.post(`/actions/${key}-A1/transitions`).type('form').send({ _csrf: token, to: 'verified', version: '0' }).redirects(1).expect(409);
    expect(notice(stale.text)).to.include('changed by someone else');
  });

  it('a zh-CN editor gets the form, the incident page and its refusals in Chinese around the Chinese postmortem', async () => {
    const key = await reviewable('Chinese reader');
    const { agent, token } = await signedIn('mei@example.com');

    const form = (await agent.get('/incidents/new').expect(200)).text;
    expect(form).to.include('<title>新建事件 · Debrief</title>').and.include('<h1>新建事件</h1>').and.include('<legend>时间</legend>');
    expect(form).to.include('<label for="title">标题</label>').and.include('<option value="A">A (最严重)</option>').and.include('<option value="investigating" selected>排查中</option>');
    expect(form).to.include('aria-label="开始：只填日期"').and.include('>创建事件</button>').and.not.include('File incident');
    const bad = await agent
      .post('/incidents/new')
      .type('form')
      .send({ _csrf: token, title: 'Twice', startedAt: '2026-11-24T10:00', startedAtDay: '2026-11-24', rootCauses: 'a\r\n ' })
      .redirects(1).expect(400);
    expect(bad.text).to.include('开始：时间和日期只填一个').and.include('未保存：请修改下面标出的字段。');

    const page = (await agent.get(`/incidents/${key}`).expect(200)).text;
    expect(page).to.include('<html lang="zh-CN">').and.include('<a href="/incidents">事件</a>').and.include('<a href="/actions">改进措施</a>');
    // The document is the zh-CN postmortem; the page around it speaks the same language.
    expect(page).to.include('复盘报告：Chinese reader').and.include('<h2 id="actions">措施进展</h2>').and.include('<h2 id="review">评审</h2>').and.include('<h2 id="comments">评论</h2>');
    expect(page).to.include('评审： <span class="badge">草稿</span>').and.include('<span class="badge">待处理</span>').and.include('<span class="overdue">未认领</span>');
    expect(page).to.include('>标记完成</summary>').and.include('>改了什么</label>').and.include('>请求评审</button>').and.include('<option value="impact">影响</option>');
    expect(page).to.include(`<option value="action:${key}-A1">措施 ${key}-A1：Validate config before push</option>`).and.include('>发表评论</button>').and.include('还没有评论。');
    expect(page).not.to.match(/>(Action progress|Comments|Review|Request review|Mark done|printable)</);

    // A refusal's box is in Chinese too; the service's own message may stay English.
    const empty = await agent.post(`/incidents/${key}/comments`).type('form').send({ _csrf: token, section: 'impact', body: '' }).redirects(1).expect(400);
    expect(notice(empty.text)).to.match(/^未完成（400）： /).and.include('body: required');
  });
});
