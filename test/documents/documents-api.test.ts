import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestContext, type TestContext } from '../support/context.js';
import { fixture } from '../support/fixtures.js';

const file = (t: TestContext, body: unknown) => t.api.post('/api/v1/incidents').send(body as object).expect(201);
const doc = (t: TestContext, key: string, query: Record<string, string>) => t.api.get(`/api/v1/incidents/${key}/document`).query(query);

describe('documents API', () => {
  let t: TestContext;
  before(async () => {
    t = await createTestContext('documents_api');
  });
  after(() => t.close());
  beforeEach(async () => {
    await t.services.models.incidents.deleteMany({});
    await t.services.models.actions.deleteMany({});
    await t.services.models.snapshots.deleteMany({});
    await t.services.mirror.reload();
  });

  describe('the weekly entry', () => {
    it('gives the decrypt incident as the seed report wrote it, with the rounded 0.410%', async () => {
      const { body } = await file(t, fixture('decrypt-failure'));
      const res = await doc(t, body.key, { template: 'weekly-entry', format: 'md' }).expect(200);
      const lines = res.text.split('\n');
      expect(lines[0]).to.equal('- 2/14 12:04 业务方反馈对账单从 2 月 9 日开始，有一部分账单明细中对手方信息显示【解密服务初始化失败，请联系加解密管理员】');
      // The seed's shape: indented paragraphs separated by indented blank lines, then the numbered improvements.
      const shape = lines.filter(Boolean).map((l) => (l.trim() === '' ? '    ' : l.replace(/^(\s*(?:- |\d+\. |[^：]+：)).*$/, '$1')));
      expect(shape).to.deep.equal([
        '- ', '    ', '    原因：', '    ', '    处置：', '    ', '    复盘和改进：', '    ',
        '    组织研发、SRE、安全、数据平台进行事故复盘。盘点二合一账单数据 2/9~2/12，数据全量共1496160条数据，其中错误数据量6131条，错误占比0.410%。',
        '    ', '    1. ', '    2. ', '    3. ',
      ]);
      expect(res.text).to.contain('    原因：由于新容灾机房网络分流 10%，部分金服→新容灾机房的防火墙规则配置不全');
      expect(res.text).to.contain('    复盘和改进：报告[https://wiki.lianjia.com/pages/viewpage.action?pageId=1200057076](https://wiki.lianjia.com/pages/viewpage.action?pageId=1200057076)');
      expect(res.text).to.contain('数据全量共1496160条数据，其中错误数据量6131条，错误占比0.410%。');
      expect(res.text).to.contain('    1. 数据平台底层监控改进：提供加解密函数增强版本，优化加解密函数');
    });

    it('gives the TiDB incident as the seed\'s "2/5 8:48~9:50 …" bullet with 原因 and 处置', async () => {
      const { body } = await file(t, fixture('tidb-sync'));
      const res = await doc(t, body.key, { template: 'weekly-entry' }).expect(200);
      expect(res.text).to.equal(
        '- 2/5 8:48~9:50 Oracle 到 TiDB 同步链路中断，影响到商户账单生成延迟\n    \n    原因：TiDB 服务器文件系统故障，银企 TiDB 和 Azkaban 系统的稳定性引起。\n    \n    处置：联系系统组进行排查，系统组于 9:50 完成 TiDB 服务器文件系统修复，同步链路已经恢复正常。\n    \n',
      );
    });
  });

  describe('rendering', () => {
    it('shows an edit to the incident or to one of its actions at once, and the minute it was generated', async () => {
      t.clock.set('2026-11-20T02:00:30Z');
      const { body } = await file(t, fixture('decrypt-failure'));
      const en = async () => (await doc(t, body.key, { locale: 'en' }).expect(200)).text;
      const first = await en();
      expect(first).to.contain('- **Generated:** 2026-11-20 10:00 CST');
      t.clock.set('2026-11-20T02:00:59Z');
      expect(await en()).to.equal(first);
      await t.api.patch(`/api/v1/incidents/${body.key}`).send({ version: body.version, title: 'Decrypt service failed to start' }).expect(200);
      expect(await en()).to.match(/^# Postmortem: Decrypt service failed to start/);
      await t.api.patch(`/api/v1/actions/${body.key}-A1`).send({ version: 0, owner: 'lee@example.com' }).expect(200);
      expect(await en()).to.match(/\| INC-2023-\d{4}-A1 \| .* \| lee@example\.com \|/);
      t.clock.set('2026-11-20T02:01:00Z');
      expect(await en()).to.contain('- **Generated:** 2026-11-20 10:01 CST');
    });

    it("uses the incident's locale unless another is asked for", async () => {
      const { body } = await file(t, fixture('decrypt-failure'));
      expect((await doc(t, body.key, {}).expect(200)).text).to.match(/^# 复盘报告：/);
      const en = await doc(t, body.key, { locale: 'en' }).expect(200);
      expect(en.text).to.match(/^# Postmortem: /);
      expect(en.text).to.contain('6,131 of 1,496,160 rows (0.410%)');
      expect(en.text).to.contain('| Detected | 2023-02-14 12:04 CST | time to detect: about 5 d 12 h 4 min |');
      expect(en.text).to.match(/\| INC-2023-\d{4}-A1 \| .* \| \*\*UNOWNED\*\* \|/);
    });

    it('makes user text inert: <script> and <img onerror> never reach the HTML as tags', async () => {
      const input = fixture('tidb-sync') as Record<string, any>;
      input.title = 'Sync <script>alert(1)</script> down';
      input.cause = { trigger: '<img src=x onerror=alert(2)>', rootCauses: ['<script>alert(3)</script>'] };
      input.remediation = { summary: '[x](javascript:alert(4)) done', timeline: [{ at: '2023-02-05T08:48', text: '<img src=x onerror=alert(5)> | pipe' }] };
      const { body } = await file(t, input);
      for (const [template, locale] of [['postmortem', 'en'], ['postmortem', 'zh-CN'], ['weekly-entry', 'zh-CN']]) {
        const html = (await doc(t, body.key, { template: template!, locale: locale!, format: 'html' }).expect(200)).text;
        expect(html).not.to.match(/<script|<img|javascript:/i);
        expect(html).to.contain('&lt;script&gt;alert(');
        const md = (await doc(t, body.key, { template: template!, locale: locale!, format: 'md' }).expect(200)).text;
        expect(md).not.to.match(/<script|<img/i);
      }
      const en = (await doc(t, body.key, { locale: 'en', format: 'html' }).expect(200)).text;
      expect(en).to.contain('<title>Postmortem: Sync &lt;script&gt;alert(1)&lt;/script&gt; down</title>');
      // the pipe stays inside its timeline cell
      expect(en).to.contain('<td>&lt;img src=x onerror=alert(5)&gt; | pipe</td>');
    });

    it('answers 400 for bad parameters, 422 for an unknown template or locale, 404 for an unknown incident', async () => {
      const { body } = await file(t, fixture('tidb-sync'));
      const bad = await doc(t, body.key, { format: 'pdf' }).expect(400);
      expect(bad.body.error.fields[0].field).to.equal('format');
      await doc(t, body.key, { locale: 'not a locale' }).expect(400);
      const unknown = await doc(t, body.key, { template: 'nope' }).expect(422);
      expect(unknown.body.error.fields[0]).to.deep.equal({ field: 'template', message: 'no such template' });
      const noEnglish = await doc(t, body.key, { template: 'weekly-entry', locale: 'en' }).expect(422);
      expect(noEnglish.body.error.available).to.deep.equal(['zh-CN as md']);
      await doc(t, 'INC-1999-0001', {}).expect(404);
    });

    it('documents the routes in OpenAPI', async () => {
      const { body } = await t.api.get('/api/v1/openapi.json').expect(200);
      for (const p of ['/api/v1/incidents/{key}/document', '/api/v1/templates', '/api/v1/templates/variables', '/api/v1/templates/preview', '/api/v1/incidents/{key}/snapshots/{n}']) {
        expect(body.paths).to.have.property(p);
      }
    });
  });

  describe('templates', () => {
    it('lists the built-in templates', async () => {
      const { body } = await t.api.get('/api/v1/templates').expect(200);
      const ids = body.items.map((i: { id: string }) => i.id);
      expect(ids).to.include.members(['documents/postmortem.en.md', 'documents/postmortem.zh-CN.md', 'documents/weekly-entry.zh-CN.md', 'layouts/document.html']);
      expect(body.items.every((i: { source: string }) => i.source === 'builtin')).to.equal(true);
    });

    it('documents every variable from the data schema, and every helper', async () => {
      const { body } = await t.api.get('/api/v1/templates/variables').expect(200);
      const paths = body.variables.map((v: { path: string }) => v.path);
      expect(paths).to.include.members(['incident.title', 'incident.window.startedAt.precision', 'incident.impact.errorRatios[].ratio', 'incident.actions[].owner', 'incident.durations.timeToDetect', 'generatedAt']);
      const helpers = body.helpers.map((h: { name: string }) => h.name);
      expect(helpers).to.include.members(['time', 'duration', 'percent', 'number', 'list', 'term']);
      // A field named like a helper would be shadowed by the helper in {{field}}.
      const names = new Set(paths.map((p: string) => p.split('.').pop()!.replace('[]', '')));
      expect(helpers.filter((h: string) => names.has(h))).to.deep.equal([]);
    });

    it('previews a template body against an incident, markdown with its HTML', async () => {
      const { body: incident } = await file(t, fixture('decrypt-failure'));
      const res = await t.api
        .post('/api/v1/templates/preview')
        .send({ key: incident.key, locale: 'en', body: '# {{incident.key}}\n\n{{#each incident.impact.errorRatios}}{{percent ratio 3}} took {{duration ../incident.durations.timeToResolve}}{{/each}}' })
        .expect(200);
      expect(res.body.output).to.equal(`# ${incident.key}\n\n0.410% took about 6 d 15 h`);
      expect(res.body.html).to.contain(`<title>${incident.key}</title>`);
    });

    it('refuses a broken preview with 422 naming the line, for syntax, unknown helpers and failing helpers', async () => {
      const { body: incident } = await file(t, fixture('tidb-sync'));
      const preview = (body: string) => t.api.post('/api/v1/templates/preview').send({ key: incident.key, body }).expect(422);
      const syntax = await preview('# x\n{{#if incident.title}}\nok\n{{/each}}\n');
      expect(syntax.body.error).to.include({ template: 'preview', line: 2 });
      expect(syntax.body.error.fields[0].field).to.equal('body');
      const helper = await preview('a\nb\n{{shout incident.title}}');
      expect(helper.body.error).to.include({ line: 3 });
      expect(helper.body.error.message).to.contain('unknown helper "shout"');
      const failing = await preview('a\n{{time incident.title}}');
      expect(failing.body.error).to.include({ line: 2 });
      expect(failing.body.error.message).to.contain('time:');
    });
  });

  describe('snapshots', () => {
    it('freezes renderings that later edits do not change, numbered 1, 2, …', async () => {
      const { body: incident } = await file(t, fixture('decrypt-failure'));
      const first = await t.api.post(`/api/v1/incidents/${incident.key}/snapshots`).send({ note: 'for review' }).expect(201);
      expect(first.body).to.include({ number: 1, incidentKey: incident.key, note: 'for review', incidentVersion: 0 });
      expect(first.body.renderings.map((r: { format: string; locale: string }) => `${r.locale}/${r.format}`)).to.deep.equal(['zh-CN/md', 'zh-CN/html']);
      expect(first.body.data.incident.title).to.equal(incident.title);

      await t.api.patch(`/api/v1/incidents/${incident.key}`).send({ version: 0, title: 'Renamed' }).expect(200);
      const frozen = await t.api.get(`/api/v1/incidents/${incident.key}/snapshots/1`).expect(200);
      expect(frozen.body.renderings[0].text).to.equal(first.body.renderings[0].text);
      expect(frozen.body.renderings[0].text).to.contain(incident.title);
      expect((await doc(t, incident.key, {}).expect(200)).text).to.contain('Renamed');

      const second = await t.api
        .post(`/api/v1/incidents/${incident.key}/snapshots`)
        .send({ renderings: [{ template: 'weekly-entry', format: 'md' }] })
        .expect(201);
      expect(second.body.number).to.equal(2);
      const list = await t.api.get(`/api/v1/incidents/${incident.key}/snapshots`).expect(200);
      expect(list.body.items.map((s: { number: number }) => s.number)).to.deep.equal([1, 2]);
      expect(list.body.items[0].renderings[0]).not.to.have.property('text');
      await t.api.get(`/api/v1/incidents/${incident.key}/snapshots/3`).expect(404);
      await t.api.get(`/api/v1/incidents/${incident.key}/snapshots/x`).expect(400);
    });

    it('numbers concurrent snapshots without gaps or duplicates', async () => {
      const { body: incident } = await file(t, fixture('tidb-sync'));
      const results = await Promise.all(
        Array.from({ length: 6 }, () => t.api.post(`/api/v1/incidents/${incident.key}/snapshots`).send({ renderings: [{ template: 'weekly-entry', format: 'md' }] })),
      );
      expect(results.map((r) => r.status)).to.deep.equal(Array(6).fill(201));
      expect(results.map((r) => r.body.number).sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    });

    it('writes no snapshot when a template is missing', async () => {
      const { body: incident } = await file(t, fixture('tidb-sync'));
      await t.api.post(`/api/v1/incidents/${incident.key}/snapshots`).send({ renderings: [{ template: 'weekly-entry', format: 'md' }, { template: 'nope', format: 'md' }] }).expect(422);
      expect((await t.api.get(`/api/v1/incidents/${incident.key}/snapshots`).expect(200)).body.items).to.deep.equal([]);
    });
  });
});

describe('user templates (TEMPLATES_DIR)', () => {
  let t: TestContext;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'debrief-templates-'));
    mkdirSync(path.join(dir, 'documents'));
    mkdirSync(path.join(dir, 'partials'));
    writeFileSync(path.join(dir, 'documents', 'postmortem.en.md'), '# Our format: {{incident.title}}\n\n{{> signature}}\n');
    writeFileSync(path.join(dir, 'partials', 'signature.md'), '_{{incident.key}} by the SRE team_\n');
    writeFileSync(path.join(dir, 'documents', 'broken.md'), '# ok\n\n{{#each incident.actions}}\n- {{title}}\n{{/if}}\n');
    t = await createTestContext('documents_user_templates', { TEMPLATES_DIR: dir });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses a user template in place of the built-in one, with user partials', async () => {
    const { body } = await file(t, fixture('tidb-sync'));
    const res = await doc(t, body.key, { locale: 'en' }).expect(200);
    expect(res.text).to.equal(`# Our format: ${body.title}\n\n_${body.key} by the SRE team_\n`);
    // the Chinese built-in is untouched
    expect((await doc(t, body.key, { locale: 'zh-CN' }).expect(200)).text).to.match(/^# 复盘报告/);
    const list = await t.api.get('/api/v1/templates').expect(200);
    expect(list.body.items.find((i: { id: string }) => i.id === 'documents/postmortem.en.md')).to.include({ source: 'user', overrides: true });
    expect(list.body.items.find((i: { id: string }) => i.id === 'documents/broken.md')).to.include({ source: 'user', overrides: false, locale: null });
  });

  it('answers 422 naming a broken user template and its line, and keeps serving the others', async () => {
    const { body } = await file(t, fixture('tidb-sync'));
    const res = await doc(t, body.key, { template: 'broken' }).expect(422);
    expect(res.body.error).to.include({ template: 'documents/broken.md (user)', line: 3 });
    expect(res.body.error.message).to.contain('documents/broken.md (user) line 3');
    await doc(t, body.key, { template: 'weekly-entry' }).expect(200);
  });

  it('refuses a TEMPLATES_DIR that is not a directory when the configuration is read', async () => {
    const { loadConfig } = await import('../../src/lib/config.js');
    expect(() => loadConfig({ TEMPLATES_DIR: path.join(dir, 'missing') })).to.throw(/TEMPLATES_DIR=.*not a directory/);
  });
});
