import { expect } from 'chai';
import { ImportsService } from '../../src/imports/service.js';
import type { IncidentsService } from '../../src/incidents/service.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';
import { report } from './reports.js';
import { CORPUS_LEVELS, writeReport } from './corpus.js';
import { DateTime } from 'luxon';

const SEEDS = () => `${report('2023-w07')}\n${report('2023-w08')}`;

describe('POST /api/v1/imports/weekly-reports', function () {
  this.timeout(60_000);
  let t: TestContext;
  before(async () => {
    // The generated reports write P1级, 一级 …: the team's IMPORT_LEVELS says what they mean.
    const levels = Object.entries(CORPUS_LEVELS).map(([said, level]) => `${said}=${level}`).join(',');
    t = await createTestContext('imports_api', { DEFAULT_TIMEZONE: 'Asia/Shanghai', IMPORT_LEVELS: levels });
  });
  after(() => t.close());

  const count = async () => (await t.api.get('/api/v1/incidents').expect(200)).body.total as number;
  const claims = () => t.services.models.importFingerprints.countDocuments();
  const send = (body: object) => t.api.post('/api/v1/imports/weekly-reports').send(body);

  it('previews by default: both seed incidents with their warnings, and writes nothing', async () => {
    const { body } = await send({ text: SEEDS() }).expect(200);
    expect(body.dryRun).to.equal(true);
    expect(body.timezone).to.equal('Asia/Shanghai');
    expect(body.entries.map((e: { status: string }) => e.status)).to.deep.equal(['new', 'new']);
    expect(body.entries[1].incident.window).to.deep.equal(fixture('decrypt-failure').window);
    expect(body.entries[1].warnings.map((w: { message: string }) => w.message).join('\n')).to.include('0.409%');
    expect(body.entries.every((e: { errors: unknown[] }) => e.errors.length === 0)).to.equal(true);
    expect(body.filed).to.deep.equal([]);
    expect(await count()).to.equal(0);
    expect(await claims()).to.equal(0);
  });

  it('files the TiDB and decrypt incidents with keys and the fixtures\' derived values, actions and verbatim source', async () => {
    const { body } = await send({ text: SEEDS(), dryRun: false }).expect(200);
    expect(body.filed).to.deep.equal(['INC-2023-0001', 'INC-2023-0002']);
    expect(body.entries.map((e: { status: string; key: string }) => [e.status, e.key])).to.deep.equal([
      ['filed', 'INC-2023-0001'],
      ['filed', 'INC-2023-0002'],
    ]);

    const tidb = (await t.api.get('/api/v1/incidents/INC-2023-0001').expect(200)).body;
    expect(tidb.instants.startedAt).to.deep.equal({ at: '2023-02-05T00:48:00.000Z', precision: 'minute' });
    expect(tidb.instants.resolvedAt.at).to.equal('2023-02-05T01:50:00.000Z');
    expect(tidb.durations.impactDuration.minutes).to.equal(62);
    expect(tidb.durations.timeToMitigate.minutes).to.equal(62);
    expect(tidb.source.text).to.equal(report('2023-w07').split('\n').slice(63, 68).join('\n'));
    expect(tidb.source.reportTitle).to.equal('第07周 2023/02/07');

    const decrypt = (await t.api.get('/api/v1/incidents/INC-2023-0002').expect(200)).body;
    const [ratio] = decrypt.impact.errorRatios;
    expect(ratio.ratio).to.be.closeTo(6131 / 1496160, 1e-12);
    expect(ratio.stated).to.equal('0.409%');
    expect(decrypt.durations.timeToDetect).to.deep.include({ minutes: 5 * 1440 + 12 * 60 + 4, approximate: true });
    expect(decrypt.durations.timeToResolve).to.deep.include({ minutes: 6 * 1440 + 15 * 60, approximate: true });
    expect(decrypt.durations.dataRepair).to.deep.include({ minutes: 17 * 60 + 15, approximate: false });
    expect(decrypt.status).to.equal('resolved');
    expect(decrypt.severity).to.equal('E');
    expect(report('2023-w08')).to.include(decrypt.source.text);
    expect(decrypt.source.fingerprint).to.equal(body.entries[1].fingerprint);
    expect(decrypt.actions.map((a: { key: string }) => a.key)).to.deep.equal(['INC-2023-0002-A1', 'INC-2023-0002-A2', 'INC-2023-0002-A3']);
    for (const action of decrypt.actions) {
      // Unowned and open, due by the medium SLA; counted from the filing day (2026-11-25 + 56 days), since
      // from the resolution (2023-02-15) it would be overdue on arrival.
      expect(action).to.include({ status: 'open', owner: null, unowned: true, priority: 'medium', dueDate: '2027-01-20', overdue: false });
    }

    // Filed like any incident: audited under the person who imported it.
    const audit = (await t.api.get('/api/v1/audit?incident=INC-2023-0002&entity=incident').expect(200)).body;
    expect(audit.items.map((a: { event: string; by: string }) => [a.event, a.by])).to.deep.include(['filed', 'admin@example.com']);
  });

  it('files nothing when the same reports are imported again, and says which incidents they became', async () => {
    const again = (await send({ text: `${report('2023-w08')}\n\n${report('2023-w07')}`, dryRun: false }).expect(200)).body;
    expect(again.filed).to.deep.equal([]);
    expect(again.entries.map((e: { status: string; key: string }) => [e.status, e.key])).to.deep.equal([
      ['imported', 'INC-2023-0002'],
      ['imported', 'INC-2023-0001'],
    ]);
    const preview = (await send({ text: report('2023-w07') }).expect(200)).body;
    expect(preview.entries[0]).to.include({ status: 'imported', key: 'INC-2023-0001' });
    expect(await count()).to.equal(2);
  });

  it('says its warnings in the language Accept-Language asks for', async () => {
    const text = '# 第11周 2023/03/17\n3. 事故：\n- 3/16 10:05~10:30 没写级别\n';
    const en = (await send({ text }).expect(200)).body.entries[0].warnings.map((w: { message: string }) => w.message);
    const zh = (await send({ text }).set('Accept-Language', 'zh-CN').expect(200)).body.entries[0].warnings.map((w: { message: string }) => w.message);
    expect(en).to.include('an accident with no level in its line or heading: the severity is left empty, choose one');
    expect(zh).to.include('事故的条目和标题都没有写级别：严重级别留空，请选择');
  });

  it('keeps the verbatim source through edits, and does not let an edit change it', async () => {
    const before = (await t.api.get('/api/v1/incidents/INC-2023-0001').expect(200)).body;
    const edited = (await t.api.patch('/api/v1/incidents/INC-2023-0001').send({ version: before.version, title: 'Oracle→TiDB 同步链路中断' }).expect(200)).body;
    expect(edited.source).to.deep.equal(before.source);
    const refused = await t.api.patch('/api/v1/incidents/INC-2023-0001').send({ version: edited.version, source: { text: 'rewritten' } }).expect(400);
    expect(refused.body.error.fields).to.deep.equal([{ field: 'source', message: 'unknown field' }]);
  });

  it('files each entry once when two imports of the same text run at once', async () => {
    const text = report('2023-w10');
    const [a, b] = await Promise.all([send({ text, dryRun: false }).expect(200), send({ text, dryRun: false }).expect(200)]);
    const filed = [...a.body.filed, ...b.body.filed];
    expect(filed).to.have.length(3);
    expect(new Set(filed).size).to.equal(3);
    expect(await count()).to.equal(5);
    const accident = (await t.api.get(`/api/v1/incidents?severity=A`).expect(200)).body.items;
    expect(accident.map((i: { window: { startedAt: string } }) => i.window.startedAt)).to.deep.equal(['2023-03-06T09:50']);
  });

  it('releases the claim when filing fails after it, so a later import files the entry', async () => {
    const text = '# 第11周 2023/03/17\n生产稳定性事件：\n- 3/14 10:00~10:40 清算文件延迟\n  原因：上游晚到\n';
    const failing = new ImportsService({
      ...t.services,
      fingerprints: t.services.models.importFingerprints,
      incidents: { create: () => Promise.reject(new Error('store went away')) } as unknown as IncidentsService,
    });
    let error: Error | undefined;
    await failing.weeklyReports({ text, dryRun: false }, { id: 'x', email: 'admin@example.com', name: 'a', role: 'admin', timezone: 'UTC', locale: 'en' }).catch((e: Error) => {
      error = e;
    });
    expect(error?.message).to.equal('store went away');
    const { body } = await send({ text, dryRun: false }).expect(200);
    expect(body.entries[0].status).to.equal('filed');
  });

  it('refuses an entry the API would refuse, naming its line, and files none of the text', async () => {
    const text = '# 第11周 2023/03/17\n3. 事故：\n- C级事故：3/15 10:00~10:30 好的条目\n- 3/16 10:00~10:30 没写级别的事故\n';
    const before = await count();
    const preview = (await send({ text }).expect(200)).body;
    expect(preview.entries[1].errors.map((e: { field: string }) => e.field)).to.include('severity');
    const res = await send({ text, dryRun: false }).expect(422);
    expect(res.body.error.message).to.include('nothing was filed');
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).to.include('entries.1.severity');
    expect(res.body.error.fields[0].message).to.match(/^line 4: /);
    expect(await count()).to.equal(before);
  });

  it('answers bad input with 400 or 422 naming the field, and changes nothing', async () => {
    const before = [await count(), await claims()];
    const fieldsOf = (res: { body: { error: { fields: { field: string; message: string }[] } } }) => res.body.error.fields.map((f) => `${f.field}: ${f.message}`);
    expect(fieldsOf(await send({}).expect(400))).to.deep.equal(['text: required']);
    expect(fieldsOf(await send({ text: SEEDS(), dryRun: 'no' }).expect(400))[0]).to.match(/^dryRun: /);
    expect(fieldsOf(await send({ text: SEEDS(), timezone: 'Mars/Base' }).expect(400))[0]).to.include('timezone: not an IANA time zone');
    expect(fieldsOf(await send({ text: SEEDS(), extra: 1 }).expect(400))).to.deep.equal(['extra: unknown field']);
    expect(fieldsOf(await send({ text: '# 周报\n一切正常', dryRun: false }).expect(422))[0]).to.match(/^text: expected a dated bullet/);
    expect([await count(), await claims()]).to.deep.equal(before);
  });

  it('is for editors and admins: a viewer or reviewer gets 403', async () => {
    for (const role of ['viewer', 'reviewer'] as const) {
      const res = await (await t.as(role)).post('/api/v1/imports/weekly-reports').send({ text: SEEDS() }).expect(403);
      expect(res.body.error.message).to.include(`A ${role} may not`);
    }
    await (await t.as('editor')).post('/api/v1/imports/weekly-reports').send({ text: SEEDS() }).expect(200);
  });

  it('is described in the OpenAPI document with its body and answer', async () => {
    const { body } = await t.api.get('/api/v1/openapi.json').expect(200);
    const op = body.paths['/api/v1/imports/weekly-reports'].post;
    expect(op.description).to.equal('Roles: admin, editor.');
    const schema = op.requestBody.content['application/json'].schema;
    expect(schema.required).to.deep.equal(['text']);
    expect(schema.properties).to.have.keys('text', 'timezone', 'dryRun');
    expect(op.responses['200'].content['application/json'].schema.properties).to.include.keys('entries', 'warnings', 'filed');
  });

  it('files each entry of generated reports once: a second import of the same text files nothing', async () => {
    const text = Array.from({ length: 4 }, (_, i) => writeReport(7 + i, 10 + i, DateTime.utc(2024, 3, 8).plus({ weeks: i })).text).join('\n\n');
    const before = await count();
    const first = (await send({ text, dryRun: false }).expect(200)).body;
    const fresh = first.entries.filter((e: { status: string }) => e.status === 'filed').length;
    expect(fresh).to.be.greaterThan(8);
    expect(await count()).to.equal(before + fresh);
    const again = (await send({ text, dryRun: false }).expect(200)).body;
    expect(again.filed).to.deep.equal([]);
    expect(again.entries.every((e: { status: string }) => e.status === 'imported' || e.status === 'duplicate')).to.equal(true);
    expect(await count()).to.equal(before + fresh);
  });
});
