import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { Receivers, ROBOT_KEY, SLACK_SIGNING_SECRET } from './receivers.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const MINUTE = 60_000;
const OWNER_SLACK_ID = 'U024BE7LH';

describe('Slack interactions', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let rx: Receivers;
  let channel: string;
  let actionKey: string;
  /** The overdue summary as Slack received it. */
  let summary: { blocks: any[] };

  beforeEach(async function () {
    ctx = await createTestContext(`slack_${this.currentTest!.title.slice(0, 24)}`, { CHANNEL_SECRET_KEY: KEY, BASE_URL: 'https://debrief.example.com' });
    rx = new Receivers(ctx.clock);
    await rx.start();
    const added = await ctx.api.post('/api/v1/channels').send({ name: 'sre', kind: 'slack', url: `${rx.url}/slack/${ROBOT_KEY}`, secret: SLACK_SIGNING_SECRET, locale: 'en' });
    expect(added.status, JSON.stringify(added.body)).to.equal(201);
    channel = added.body.id;
    await ctx.as('editor', 'zhang.wei@example.com');
    await ctx.as('editor', 'li.na@example.com');
    const person = (await ctx.api.get('/api/v1/users/zhang.wei@example.com')).body;
    await ctx.api.patch('/api/v1/users/zhang.wei@example.com').send({ version: person.version, chat: { slack: OWNER_SLACK_ID } }).expect(200);
    const filed = await ctx.api.post('/api/v1/incidents').send({
      ...fixture('decrypt-failure'),
      actions: [{ title: '加解密函数增强版本', type: 'detect', priority: 'high', owner: 'zhang.wei@example.com', dueDate: '2026-11-01' }],
    });
    expect(filed.status, JSON.stringify(filed.body)).to.equal(201);
    actionKey = filed.body.actions[0].key;
    await ctx.services.chatEvents.overdueSummaries();
    await deliver();
    summary = rx.of('slack').find((r) => r.body.text.includes('overdue'))!.body;
  });
  afterEach(async () => {
    await rx.stop();
    await ctx.close();
  });

  const deliver = async () => {
    for (let i = 0; i < 2; i++) {
      await ctx.services.outbox.deliver();
      ctx.clock.advance(MINUTE);
    }
  };
  /** The actions block under the summary's line for the action. */
  const buttons = () => summary.blocks.find((b) => b.type === 'actions' && b.elements.some((e: any) => e.action_id === 'snooze'));
  /** A block_actions request as Slack sends it, signed with `secret` at `at` (seconds). */
  const click = (action: Record<string, unknown>, opts: { user?: string; secret?: string; at?: number; thread?: string } = {}) => {
    const payload = {
      type: 'block_actions',
      user: { id: opts.user ?? OWNER_SLACK_ID, username: 'zhang.wei' },
      response_url: `${rx.url}/slack-response/T0/1234/abcd`,
      container: { type: 'message', message_ts: opts.thread ?? '1700000000.000100' },
      message: { ts: opts.thread ?? '1700000000.000100' },
      actions: [action],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const ts = String(opts.at ?? Math.floor(ctx.clock.now().getTime() / 1000));
    const signature = `v0=${createHmac('sha256', opts.secret ?? SLACK_SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
    return { body, ts, signature };
  };
  const post = (req: { body: string; ts: string; signature: string }) =>
    ctx.api.post(`/chat/slack/${channel}/interactions`).set('x-slack-request-timestamp', req.ts).set('x-slack-signature', req.signature).type('form').send(req.body);
  const action = async () => (await ctx.api.get(`/api/v1/actions/${actionKey}`)).body;
  const replies = () => rx.of('slack-response').map((r) => r.body);

  it('puts each action line of the overdue summary on buttons carrying the emails’ signed links', async () => {
    const block = buttons();
    expect(block, JSON.stringify(summary.blocks)).to.not.equal(undefined);
    const [done, snooze, due] = block.elements;
    expect(done).to.include({ type: 'button', action_id: 'open:done' });
    expect(done.url).to.match(/^https:\/\/debrief\.example\.com\/links\//);
    expect(snooze.value).to.match(/^[\w-]+\.[\w-]+$/);
    expect(due.type).to.equal('datepicker');
    expect(block.block_id).to.match(/^[\w-]+\.[\w-]+$/);
    // The line itself names the action; its links are the buttons, not repeated as text.
    const line = summary.blocks[summary.blocks.indexOf(block) - 1].text.text as string;
    expect(line).to.include(actionKey);
    expect(line).not.to.include('/links/');
    // The channel's answers say where Slack must post, and never the secret.
    const view = (await ctx.api.get(`/api/v1/channels/${channel}`)).body;
    expect(view.interactionsPath).to.equal(`/chat/slack/${channel}/interactions`);
    expect(JSON.stringify(view)).not.to.include(SLACK_SIGNING_SECRET);
    const page = await ctx.api.get('/settings/channels').expect(200);
    expect(page.text).to.include(`https://debrief.example.com/chat/slack/${channel}/interactions`);
    expect(page.text).not.to.include(SLACK_SIGNING_SECRET);
  });

  it('snoozes from the button and answers in the thread, once', async () => {
    const req = click({ action_id: 'snooze', block_id: 'x', value: buttons().elements[1].value }, { thread: '1700000000.000200' });
    await post(req).expect(200);
    expect((await action()).snoozedUntil).to.equal('2026-12-02');
    await deliver();
    expect(replies()).to.have.length(1);
    expect(replies()[0]).to.deep.include({ response_type: 'in_channel', replace_original: false, thread_ts: '1700000000.000200' });
    expect(replies()[0].text).to.equal(`<@${OWNER_SLACK_ID}> snoozed the reminders of ${actionKey} until 2026-12-02`);
    // The same request again (a replay) is refused and posts nothing.
    const again = await post(req);
    expect(again.status).to.equal(409);
    // A new click with the used token is taken, and told the link was used.
    await post(click({ action_id: 'snooze', value: buttons().elements[1].value })).expect(200);
    await deliver();
    expect(replies()).to.have.length(2);
    expect(replies()[1].text).to.equal('Nothing changed: This link has already been used');
  });

  it('moves the due date from the date picker, refusing a date in the past', async () => {
    const token = buttons().block_id;
    await post(click({ action_id: 'due', block_id: token, selected_date: '2026-11-20' })).expect(200);
    await deliver();
    expect((await action()).dueDate).to.equal('2026-11-01');
    expect(replies().at(-1)!.text).to.equal('Nothing changed: must be today (2026-11-25) or later');
    await post(click({ action_id: 'due', block_id: token, selected_date: '2026-12-15' })).expect(200);
    await deliver();
    expect((await action()).dueDate).to.equal('2026-12-15');
    expect(replies().at(-1)!.text).to.equal(`<@${OWNER_SLACK_ID}> moved the due date of ${actionKey} to 2026-12-15`);
    // Recorded under the owner's name, as a confirmed email link is.
    const history = (await ctx.api.get(`/api/v1/actions/${actionKey}/history`)).body as { by: string; field: string; to: unknown }[];
    expect(history.find((h) => h.field === 'dueDate' && h.to === '2026-12-15')?.by).to.equal('zhang.wei@example.com');
  });

  it('refuses a forged, a stale and an unsigned request, and changes nothing', async () => {
    const value = buttons().elements[1].value;
    const forged = await post(click({ action_id: 'snooze', value }, { secret: 'not-the-signing-secret' }));
    expect(forged.status).to.equal(403);
    expect(forged.body.message ?? forged.text).to.include('signature does not match');
    const stale = await post(click({ action_id: 'snooze', value }, { at: Math.floor(ctx.clock.now().getTime() / 1000) - 6 * 60 }));
    expect(stale.status).to.equal(403);
    expect(stale.body.message ?? stale.text).to.include('older than five minutes');
    const req = click({ action_id: 'snooze', value });
    const unsigned = await ctx.api.post(`/chat/slack/${channel}/interactions`).type('form').send(req.body);
    expect(unsigned.status).to.equal(403);
    // Altering the body after signing breaks the signature too.
    expect((await post({ ...req, body: req.body.replace('zhang.wei', 'li.na') })).status).to.equal(403);
    expect((await ctx.api.post('/chat/slack/ch-nosuch/interactions').set('x-slack-request-timestamp', req.ts).set('x-slack-signature', req.signature).type('form').send(req.body)).status).to.equal(404);
    await deliver();
    expect((await action()).snoozedUntil ?? null).to.equal(null);
    expect(replies()).to.have.length(0);
  });

  it("tells someone else that the button is the owner's, only to them", async () => {
    await post(click({ action_id: 'snooze', value: buttons().elements[1].value }, { user: 'U0OTHER' })).expect(200);
    await deliver();
    expect((await action()).snoozedUntil ?? null).to.equal(null);
    expect(replies()).to.have.length(1);
    expect(replies()[0].response_type).to.equal('ephemeral');
    expect(replies()[0].text).to.equal(`This button is for <@${OWNER_SLACK_ID}>: only they can change ${actionKey} from here.`);
    // The owner can still use it.
    await post(click({ action_id: 'snooze', value: buttons().elements[1].value })).expect(200);
    expect((await action()).snoozedUntil).to.equal('2026-12-02');
  });

  it('takes a click on a link button without changing anything', async () => {
    await post(click({ action_id: 'open:done', value: undefined })).expect(200);
    await deliver();
    expect(replies()).to.have.length(0);
    expect((await action()).status).to.equal('open');
  });
});
