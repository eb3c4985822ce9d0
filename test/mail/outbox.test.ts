import { expect } from 'chai';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';

const message = (i: number) => ({ dedupeKey: `list:${i}`, kind: 'test', to: `p${i % 2}@example.com`, subject: `message ${i}`, html: `<p>${i}</p>`, text: String(i) });

describe('outbox list', () => {
  let t: TestContext;
  before(async () => {
    // No SMTP: a delivery run keeps each message as "not sent".
    t = await createTestContext('outbox_list', {}, { monitorCommands: true });
    for (let i = 0; i < 5; i++) {
      await t.services.outbox.enqueue(message(i));
      t.clock.advance(1000);
    }
  });
  after(() => t.close());

  const subjects = async (query: string) => (await t.api.get(`/api/v1/outbox${query}`).expect(200)).body.items.map((m: { subject: string }) => m.subject);

  it('lists newest first with filters, reading the page by _id and never the whole outbox', async () => {
    expect(await subjects('?to=p0@example.com')).to.deep.equal(['message 4', 'message 2', 'message 0']);
    const filters: unknown[] = [];
    const listener = (e: { commandName: string; command: Record<string, any> }) => {
      if (['outbox', 'outbox_changes'].includes(e.command[e.commandName])) filters.push(e.command.filter);
    };
    t.conn.getClient().on('commandStarted', listener);
    try {
      const page = (await t.api.get('/api/v1/outbox?pageSize=2&page=2').expect(200)).body;
      expect(page.items.map((m: { subject: string }) => m.subject)).to.deep.equal(['message 2', 'message 1']);
      expect(page.total).to.equal(5);
    } finally {
      t.conn.getClient().off('commandStarted', listener);
    }
    // The page's two messages, and one look for a change after the last one known.
    expect(filters).to.have.length(3);
    for (const f of filters) expect(Object.keys(f as object)).to.deep.equal(['_id']);
  });

  it("shows another process's new messages and a delivery run's outcome on the next list", async () => {
    await inAnotherProcess(t, async (worker) => {
      await worker.outbox.enqueue(message(5));
      expect((await subjects(''))[0]).to.equal('message 5');
      await worker.outbox.deliver();
      const unsent = (await t.api.get('/api/v1/outbox?status=unsent').expect(200)).body;
      expect(unsent.total).to.equal(6);
      expect((await t.api.get('/api/v1/outbox?status=pending').expect(200)).body.total).to.equal(0);
    });
  });
});
