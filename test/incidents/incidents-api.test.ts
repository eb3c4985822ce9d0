import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { REMOVED } from '../../src/lib/feed.js';
import { revisionId } from '../../src/lib/revisions.js';
import { createTestContext, inAnotherProcess, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

describe('incidents API', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('incidents_api');
  });
  after(() => t.close());
  beforeEach(async () => {
    const { incidents, actions } = t.services.models;
    for (const model of [incidents, actions] as { deleteMany(f: object): Promise<unknown> }[]) await model.deleteMany({});
    await t.services.mirror.reload();
  });

  const file = (body: unknown) => t.api.post('/api/v1/incidents').send(body as object);

  describe('the seed fixtures', () => {
    it('accepts the TiDB sync incident unchanged and reads it back without loss', async () => {
      const input = fixture('tidb-sync');
      const created = await file(input).expect(201);
      expect(created.body.key).to.match(/^INC-2023-\d{4}$/);
      const read = await t.api.get(`/api/v1/incidents/${created.body.key}`).expect(200);
      const { actions, ...fields } = input;
      expect(read.body).to.deep.include(fields);
      expect(read.body.actions).to.deep.equal(actions);
    });

    it('stores the TiDB window as UTC instants and derives 62 minutes to mitigate and of impact', async () => {
      const { body } = await file(fixture('tidb-sync')).expect(201);
      expect(body.instants.startedAt).to.deep.equal({ at: '2023-02-05T00:48:00.000Z', precision: 'minute' });
      expect(body.instants.resolvedAt).to.deep.equal({ at: '2023-02-05T01:50:00.000Z', precision: 'minute' });
      const stored = await t.services.models.incidents.findOne({ key: body.key }).lean();
      expect(stored!.window!.startedAt!.at.toISOString()).to.equal('2023-02-05T00:48:00.000Z');
      expect(body.durations.timeToMitigate).to.deep.equal({ minutes: 62, approximate: false, iso: 'PT1H2M' });
      expect(body.durations.impactDuration.minutes).to.equal(62);
    });

    it('computes the decrypt failure error ratio and the approximate durations', async () => {
      const input = fixture('decrypt-failure');
      const { body } = await file(input).expect(201);
      const [ratio] = body.impact.errorRatios;
      expect(ratio.ratio).to.be.closeTo(6131 / 1496160, 1e-12);
      expect(ratio.ratio.toFixed(5)).to.equal('0.00410');
      // started is known only to the day (2/9), so these are "about" values
      expect(body.durations.timeToDetect).to.deep.equal({ minutes: 5 * 1440 + 12 * 60 + 4, approximate: true, iso: 'P5DT12H4M' });
      expect(body.durations.timeToResolve).to.deep.equal({ minutes: 6 * 1440 + 15 * 60, approximate: true, iso: 'P6DT15H' });
      expect(body.durations.dataRepair).to.deep.equal({ minutes: 17 * 60 + 15, approximate: false, iso: 'PT17H15M' });
      expect(body.window.startedAt).to.equal('2023-02-09');
      expect(body.instants.startedAt).to.deep.equal({ at: '2023-02-08T16:00:00.000Z', precision: 'day' });
      const { actions, ...fields } = input;
      const read = await t.api.get(`/api/v1/incidents/${body.key}`).expect(200);
      const withoutRatio = { ...read.body, impact: { ...read.body.impact, errorRatios: read.body.impact.errorRatios.map(({ ratio: _r, ...r }: { ratio: number }) => r) } };
      expect(withoutRatio).to.deep.include(fields);
      expect(read.body.actions).to.have.length(3);
    });

    it('creates the three corrective actions as open and unowned, numbered after the incident', async () => {
      const { body } = await file(fixture('decrypt-failure')).expect(201);
      const res = await t.api.get(`/api/v1/incidents/${body.key}/actions`).expect(200);
      expect(res.body.map((a: { key: string }) => a.key)).to.deep.equal([`${body.key}-A1`, `${body.key}-A2`, `${body.key}-A3`]);
      for (const action of res.body) {
        expect(action).to.include({ status: 'open', owner: null, unowned: true, incidentKey: body.key });
      }
      expect(res.body[0]).to.include({ type: 'detect', priority: 'high', title: '数据平台底层监控改进：提供加解密函数增强版本' });
    });

    it('finds an incident by id as well as by key, and answers 404 for malformed or unknown ones', async () => {
      const { body } = await file(fixture('tidb-sync')).expect(201);
      const byId = await t.api.get(`/api/v1/incidents/${body.id}`).expect(200);
      expect(byId.body.key).to.equal(body.key);
      await t.api.get('/api/v1/incidents/not-an-id').expect(404);
      await t.api.get('/api/v1/incidents/INC-1999-0001').expect(404);
      const bad = await t.api.get('/api/v1/incidents/0123456789abcdef01234567').expect(404);
      expect(bad.body.error.code).to.equal('not_found');
    });
  });

  describe('keys', () => {
    it('numbers incidents per year of their start', async () => {
      const a = await file({ title: 'one', window: { startedAt: '2024-12-31T23:30' } }).expect(201);
      const b = await file({ title: 'two', window: { startedAt: '2024-06-01' } }).expect(201);
      const c = await file({ title: 'three', window: { startedAt: '2025-01-01T00:10' } }).expect(201);
      expect([a.body.key, b.body.key, c.body.key]).to.deep.equal(['INC-2024-0001', 'INC-2024-0002', 'INC-2025-0001']);
    });

    it('gives distinct keys to many incidents filed at once', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => file({ title: `burst ${i}`, window: { startedAt: '2026-03-01T10:00' } })),
      );
      const keys = results.map((r) => r.body.key);
      expect(results.map((r) => r.status), JSON.stringify(results.filter((r) => r.status !== 201).map((r) => r.body))).to.deep.equal(Array(12).fill(201));
      expect(new Set(keys).size).to.equal(12);
      expect(await t.services.models.incidents.countDocuments({ year: 2026 })).to.equal(12);
    });

    it('numbers on after another process filed in the same year, without reusing a number', async () => {
      await inAnotherProcess(t, async (other) => {
        const at = { window: { startedAt: '2027-03-01T10:00' } };
        const first = (await file({ title: 'here', ...at }).expect(201)).body.key;
        const there = [];
        for (const title of ['there 1', 'there 2', 'there 3']) there.push((await other.incidents.create({ title, status: 'investigating', ...at }, SYSTEM_ACTOR)).key);
        const head = await t.services.feed.head();
        const next = (await file({ title: 'here again', ...at, actions: [{ title: 'a fix' }] }).expect(201)).body.key;
        expect([first, ...there, next]).to.deep.equal(['INC-2027-0001', 'INC-2027-0002', 'INC-2027-0003', 'INC-2027-0004', 'INC-2027-0005']);
        // Refused 0002 first: it took back only its own incident, not the actions named by that number (the other filing's).
        const removed = (await t.services.feed.after(head)).flatMap((e) => e.changes).filter((c) => c.v === REMOVED);
        expect(removed.map((c) => c.entity)).to.deep.equal(['incident']);
      });
    });
  });

  describe('validation', () => {
    it('lists every bad field by path', async () => {
      const res = await file({
        title: '',
        severity: 'Z',
        timezone: 'Mars/Olympus',
        window: { startedAt: 'yesterday' },
        impact: { errorRatios: [{ label: 'rows', totalRows: 0, errorRows: 5 }] },
        owner: 'not-an-email',
      }).expect(400);
      const fields = res.body.error.fields.map((f: { field: string }) => f.field);
      expect(fields).to.include.members(['title', 'timezone', 'window.startedAt', 'impact.errorRatios.0.totalRows', 'owner']);
      expect(await t.services.models.incidents.countDocuments()).to.equal(0);
    });

    it('refuses a severity outside the configured scale', async () => {
      const res = await file({ title: 't', severity: 'Z' }).expect(400);
      expect(res.body.error.fields).to.deep.equal([{ field: 'severity', message: 'must be one of A, B, C, D, E' }]);
    });

    it('refuses more error rows than rows, and fractional counts', async () => {
      const res = await file({ title: 't', impact: { errorRatios: [{ label: 'rows', totalRows: 10, errorRows: 11 }, { label: 'x', totalRows: 1.5, errorRows: 0 }] } }).expect(400);
      const fields = res.body.error.fields.map((f: { field: string }) => f.field);
      expect(fields).to.include.members(['impact.errorRatios.0.errorRows', 'impact.errorRatios.1.totalRows']);
    });

    it('refuses unknown fields by name', async () => {
      const res = await file({ title: 't', severty: 'A', window: { started: '2023-01-01' } }).expect(400);
      expect(res.body.error.fields).to.deep.include({ field: 'severty', message: 'unknown field' });
      expect(res.body.error.fields).to.deep.include({ field: 'window.started', message: 'unknown field' });
    });

    it('names the pair when the time window is out of order', async () => {
      const res = await file({ title: 't', window: { startedAt: '2023-02-05T09:00', detectedAt: '2023-02-05T08:00' } }).expect(400);
      expect(res.body.error.fields).to.deep.equal([{ field: 'window.detectedAt', message: 'must not be before window.startedAt (2023-02-05T09:00)' }]);
    });

    it('lets a day-precision start cover the whole day when checking order', async () => {
      await file({ title: 't', window: { startedAt: '2023-02-05T09:00', detectedAt: '2023-02-05' } }).expect(201);
    });

    it('requires the resolution time of a resolved incident', async () => {
      const res = await file({ title: 't', status: 'resolved', window: { startedAt: '2023-02-05T09:00' } }).expect(400);
      expect(res.body.error.fields).to.deep.equal([{ field: 'window.resolvedAt', message: 'required when status is resolved' }]);
    });

    it('refuses query operators in bodies and queries', async () => {
      const body = await file({ title: { $gt: '' } }).expect(400);
      expect(body.body.error.fields[0].field).to.equal('title.$gt');
      const query = await t.api.get('/api/v1/incidents?owner[$ne]=x').expect(400);
      expect(query.body.error.message).to.match(/operators/);
      const nested = await file({ title: 't', impact: { $where: 'sleep(1000)' } }).expect(400);
      expect(nested.body.error.fields[0].field).to.equal('impact.$where');
    });

    it('answers 413 to a body over 1 MB and 400 to broken JSON', async () => {
      const big = await file({ title: 't', summary: 'x'.repeat(1_100_000) });
      expect(big.status).to.equal(413);
      const broken = await t.api.post('/api/v1/incidents').set('content-type', 'application/json').send('{"title": ').expect(400);
      expect(broken.body.error.message).to.match(/JSON/);
    });

    it('leaves nothing behind when an action in the document is invalid', async () => {
      const res = await file({ title: 't', actions: [{ title: 'ok' }, { title: 'bad', priority: 'urgent' }] }).expect(400);
      expect(res.body.error.fields[0].field).to.equal('actions.1.priority');
      expect(await t.services.models.incidents.countDocuments()).to.equal(0);
      expect(await t.services.models.actions.countDocuments()).to.equal(0);
    });
  });

  describe('PATCH', () => {
    it('changes the fields it names, keeps the rest, and bumps the version', async () => {
      const { body } = await file(fixture('tidb-sync')).expect(201);
      const res = await t.api
        .patch(`/api/v1/incidents/${body.key}`)
        .send({ version: 0, owner: 'SRE@Example.com', window: { detectedAt: '2023-02-05T08:55' } })
        .expect(200);
      expect(res.body.version).to.equal(1);
      expect(res.body.owner).to.equal('sre@example.com');
      expect(res.body.window).to.deep.equal({ startedAt: '2023-02-05T08:48', detectedAt: '2023-02-05T08:55', mitigatedAt: '2023-02-05T09:50', resolvedAt: '2023-02-05T09:50' });
      expect(res.body.durations.timeToDetect.minutes).to.equal(7);
      expect(res.body.title).to.equal(body.title);
    });

    it('answers 409 to a stale version and changes nothing', async () => {
      const { body } = await file({ title: 'first' }).expect(201);
      await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, title: 'second' }).expect(200);
      const stale = await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, title: 'third' }).expect(409);
      expect(stale.body.error.currentVersion).to.equal(1);
      expect((await t.api.get(`/api/v1/incidents/${body.key}`)).body.title).to.equal('second');
    });

    it('lets exactly one of two concurrent edits of the same version win', async () => {
      const { body } = await file({ title: 'race' }).expect(201);
      const [a, b] = await Promise.all([
        t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, title: 'a' }),
        t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, title: 'b' }),
      ]);
      expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
    });

    it('rolls forward an edit whose writer stopped after claiming and announcing its version', async () => {
      const { body } = await file({ title: 'before' }).expect(201);
      const stored = await t.services.models.incidents.findById(body.id).lean();
      // The claim is written and announced; the process "dies" before the document is replaced.
      await t.services.models.revisions.create({
        _id: revisionId('incident', stored!._id, 1), entity: 'incident', entityId: stored!._id, version: 1, by: 'x@example.com', at: t.clock.now(),
        state: { ...stored, _id: undefined, title: 'after', version: 1 },
      });
      await t.services.feed.append('incident', body.id, 1);
      const read = await t.api.get(`/api/v1/incidents/${body.key}`).expect(200);
      expect(read.body).to.include({ title: 'after', version: 1 });
      await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, title: 'lost?' }).expect(409);
    });

    it('rolls forward an edit whose writer stopped right after claiming, once anyone edits the same version', async () => {
      const { body } = await file({ title: 'before' }).expect(201);
      const stored = await t.services.models.incidents.findById(body.id).lean();
      await t.services.models.revisions.create({
        _id: revisionId('incident', stored!._id, 1), entity: 'incident', entityId: stored!._id, version: 1, by: 'x@example.com', at: t.clock.now(),
        state: { ...stored, _id: undefined, title: 'after', version: 1 },
      });
      // Never acknowledged, so readers still see the last acknowledged state...
      expect((await t.api.get(`/api/v1/incidents/${body.key}`).expect(200)).body).to.include({ title: 'before', version: 0 });
      // ...until an edit of that version loses the claim, which brings the claimed state to everyone.
      const stale = await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, title: 'mine' }).expect(409);
      expect(stale.body.error.currentVersion).to.equal(1);
      expect((await t.api.get(`/api/v1/incidents/${body.key}`).expect(200)).body).to.include({ title: 'after', version: 1 });
      await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 1, title: 'mine' }).expect(200);
    });

    it('checks status transitions', async () => {
      const { body } = await file({ title: 't', window: { startedAt: '2023-01-01T10:00' } }).expect(201);
      expect(body.status).to.equal('investigating');
      const res = await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, status: 'closed', window: { resolvedAt: '2023-01-01T11:00' } }).expect(409);
      expect(res.body.error.allowed).to.deep.equal(['mitigated', 'resolved']);
      await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, status: 'resolved', window: { resolvedAt: '2023-01-01T11:00' } }).expect(200);
    });

    it('refuses to close an incident while corrective actions are open, naming them', async () => {
      const { body } = await file(fixture('decrypt-failure')).expect(201);
      const res = await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, status: 'closed' }).expect(409);
      expect(res.body.error.openActions.map((a: { key: string }) => a.key)).to.deep.equal([`${body.key}-A1`, `${body.key}-A2`, `${body.key}-A3`]);
      expect((await t.api.get(`/api/v1/incidents/${body.key}`)).body.status).to.equal('resolved');
    });

    it('closes an incident that has no open actions', async () => {
      const { body } = await file(fixture('tidb-sync')).expect(201);
      const res = await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: 0, status: 'closed' }).expect(200);
      expect(res.body.status).to.equal('closed');
      expect(res.body.closedAt).to.equal(t.clock.now().toISOString());
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await file(fixture('tidb-sync')).expect(201);
      await file(fixture('decrypt-failure')).expect(201);
      await file({ title: 'Card gateway timeouts', severity: 'B', services: ['card-gateway'], tags: ['network'], owner: 'li@example.com', window: { startedAt: '2023-03-01T10:00' } }).expect(201);
    });

    it('pages with a total, newest start first by default', async () => {
      const res = await t.api.get('/api/v1/incidents?pageSize=2').expect(200);
      expect(res.body.total).to.equal(3);
      expect(res.body.items.map((i: { title: string }) => i.title)).to.deep.equal(['Card gateway timeouts', fixture('decrypt-failure').title]);
      const page2 = await t.api.get('/api/v1/incidents?pageSize=2&page=2').expect(200);
      expect(page2.body.items).to.have.length(1);
      const asc = await t.api.get('/api/v1/incidents?sort=startedAt&pageSize=1').expect(200);
      expect(asc.body.items[0].title).to.equal(fixture('tidb-sync').title);
    });

    it('filters by status, severity, service, tag, owner and start', async () => {
      const titles = async (q: string) => (await t.api.get(`/api/v1/incidents?${q}`).expect(200)).body.items.map((i: { title: string }) => i.title);
      expect(await titles('severity=B')).to.deep.equal(['Card gateway timeouts']);
      expect(await titles('status=resolved&sort=startedAt')).to.have.length(2);
      expect(await titles('service=ark-crypto')).to.deep.equal([fixture('decrypt-failure').title]);
      expect(await titles('tag=network')).to.deep.equal(['Card gateway timeouts']);
      expect(await titles('owner=LI@example.com')).to.deep.equal(['Card gateway timeouts']);
      expect(await titles('startedFrom=2023-02-06&startedTo=2023-02-28')).to.deep.equal([fixture('decrypt-failure').title]);
      expect(await titles('startedTo=2023-02-05')).to.deep.equal([fixture('tidb-sync').title]);
    });

    it('searches free text over title, summary and cause, literally', async () => {
      const q = async (text: string) => (await t.api.get(`/api/v1/incidents?q=${encodeURIComponent(text)}`).expect(200)).body.total;
      expect(await q('防火墙')).to.equal(1);
      expect(await q('tidb')).to.equal(2);
      expect(await q('.*')).to.equal(0);
    });

    it('refuses unknown filters and bad sort keys', async () => {
      const res = await t.api.get('/api/v1/incidents?colour=red&sort=title').expect(400);
      const fields = res.body.error.fields.map((f: { field: string }) => f.field);
      expect(fields).to.include.members(['colour', 'sort']);
    });
  });
});
