import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { term } from '../../src/documents/format.js';
import { createRenderer } from '../../src/documents/renderer.js';
import { ui, UI_STRINGS, type UiKey } from '../../src/documents/ui-strings.js';
import { acceptedLocale } from '../../src/http/pages.js';
import { LOCALES } from '../../src/lib/config.js';
import { REVIEW_STATUSES, SECTIONS } from '../../src/reviews/schemas.js';
import { ROLES } from '../../src/users/permissions.js';

const TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates');

/** The page and email templates that take their text from the ui strings (the action-link page included). */
function uiTemplates(): { file: string; text: string }[] {
  const pages = readdirSync(path.join(TEMPLATES, 'pages'))
    .filter((f) => f.endsWith('.html'))
    .map((f) => path.join('pages', f));
  const partials = readdirSync(path.join(TEMPLATES, 'partials'))
    .filter((f) => f.startsWith('page-') && f.endsWith('.html'))
    .map((f) => path.join('partials', f));
  const emails = readdirSync(path.join(TEMPLATES, 'emails'))
    .filter((f) => /\.(html|txt)$/.test(f))
    .map((f) => path.join('emails', f));
  return [...pages, ...partials, ...emails].map((file) => ({ file, text: readFileSync(path.join(TEMPLATES, file), 'utf8') }));
}

/** The argument names an ICU message reads, at any depth (inside plural and select branches too). */
function placeholders(text: string): string[] {
  const names = new Set<string>();
  const walk = (elements: MessageFormatElement[]) => {
    for (const el of elements) {
      if ('value' in el && el.type !== TYPE.literal) names.add(el.value);
      if ('options' in el) for (const option of Object.values(el.options)) walk(option.value);
      if ('children' in el) walk(el.children);
    }
  };
  walk(parse(text, { ignoreTag: true }));
  return [...names].sort();
}

/** Placeholders a translation leaves out on purpose: the Chinese subject of a single notice counts it, as for several, instead of quoting it. */
const LEFT_OUT: Record<string, Partial<Record<UiKey, string[]>>> = { 'zh-CN': { 'email.notices.subjectOne': ['text'] } };

describe('page UI strings', () => {
  const en = Object.keys(UI_STRINGS.en!).sort();

  it('reads the locale files: every key in every locale, none empty, each a valid ICU message with the same placeholders', () => {
    expect(en.length).to.be.greaterThan(50);
    for (const locale of LOCALES) {
      const strings = UI_STRINGS[locale];
      expect(strings, locale).to.be.an('object');
      expect(Object.keys(strings!).sort(), locale).to.deep.equal(en);
      for (const key of en) {
        const text = strings![key as UiKey];
        expect(text.trim(), `${locale} ${key}`).not.to.equal('');
        const leftOut = LEFT_OUT[locale]?.[key as UiKey] ?? [];
        expect(placeholders(text), `${locale} ${key}`).to.deep.equal(placeholders(UI_STRINGS.en![key as UiKey]).filter((p) => !leftOut.includes(p!)));
      }
    }
  });

  it('has every key the page and email templates use, each given as a literal', () => {
    const used = new Set<string>();
    const files = uiTemplates().map((t) => t.file);
    // The emails and the one-click link page are one template for every locale now.
    expect(files).to.include.members(['pages/action-link.html', 'emails/digest.html', 'emails/digest.txt', 'emails/digest-subject.txt', 'emails/review-notices.html', 'emails/review-notices.txt', 'emails/review-notices-subject.txt']);
    expect(files.filter((f) => /\.[a-z]{2}(-[A-Za-z]+)?\.(html|txt)$/.test(f)), 'templates with a copy per locale').to.deep.equal([]);
    for (const { file, text } of uiTemplates()) {
      // A key in a variable could not be checked here.
      expect(text, `${file}: {{ui}} with a key that is not a literal`).not.to.match(/[{(]\s*ui\s+(?!")/);
      for (const m of text.matchAll(/[{(]\s*ui\s+"([^"]+)"/g)) {
        expect(en, `${file} uses "${m[1]}"`).to.include(m[1]);
        used.add(m[1]!);
      }
    }
    // The pages do use them: the header, the sign-in form, the incident page.
    expect([...used]).to.include.members(['nav.incidents', 'nav.actions', 'login.title', 'incident.actionsHeading', 'comments.heading']);
    // And the emails and link page: the digest, the review notices, the one-click confirmation.
    expect([...used]).to.include.members(['email.digest.subject', 'email.digest.txt.overdueItem', 'email.notices.subjectOne', 'email.notices.title', 'actionLink.markDone']);
  });

  it('has Chinese display names for the enumerations the pages show with term', () => {
    const groups: [string, readonly string[]][] = [
      ['reviewStatus', REVIEW_STATUSES],
      ['section', SECTIONS],
      ['role', ROLES],
      ['decision', ['approve', 'request_changes']],
      ['actionStatus', ['open', 'in_progress', 'blocked', 'done', 'verified', 'wont_fix']],
      ['incidentStatus', ['investigating', 'mitigated', 'resolved', 'closed']],
    ];
    for (const [group, values] of groups) {
      for (const value of values) expect(term(group, value, 'zh-CN'), `${group}.${value}`).to.match(/[\u4e00-\u9fff]/);
    }
  });

  it('fills {placeholders}, and refuses an unknown key or a missing value', () => {
    expect(ui('en', 'actions.summary', { total: 4, overdue: 3, unowned: 0 })).to.equal('4 open · 3 overdue · 0 without an owner');
    expect(ui('zh-CN', 'actions.summary', { total: 4, overdue: 3, unowned: 0 })).to.equal('4 项未完成 · 3 项已逾期 · 0 项未认领');
    expect(ui('zh-CN', 'nav.incidents')).to.equal('事件');
    expect(ui('fr', 'nav.incidents')).to.equal('Incidents');
    expect(() => ui('en', 'nav.nowhere' as UiKey)).to.throw(/unknown UI string "nav.nowhere"/);
    expect(() => ui('en', 'actions.summary', { total: 1 })).to.throw(/actions.summary.*overdue/);
    // Plurals follow each language's rules; numbers read as the caller wrote them.
    expect(ui('en', 'incidents.count', { total: 1 })).to.equal('1 incident');
    expect(ui('en', 'incidents.count', { total: 2 })).to.equal('2 incidents');
    expect(ui('zh-CN', 'incidents.count', { total: 2 })).to.equal('共 2 个事件');
  });

  it('is the {{ui}} helper of the one renderer, escaped in HTML, with the line of a bad key', () => {
    const renderer = createRenderer({});
    const render = (source: string, locale: string) => renderer.renderSource(source, { name: 't', locale, format: 'html', data: { title: '<b>x</b>' }, timezone: 'Asia/Shanghai' }).output;
    expect(render('<a>{{ui "nav.actions"}}</a>', 'zh-CN')).to.equal('<a>改进措施</a>');
    expect(render('<a>{{ui "nav.actions"}}</a>', 'en')).to.equal('<a>Actions</a>');
    expect(render('{{ui "comments.actionOption" key="A1" title=title}}', 'zh-CN')).to.equal('措施 A1：&lt;b&gt;x&lt;/b&gt;');
    expect(() => render('\n{{ui "nav.nowhere"}}', 'en')).to.throw(/ui: unknown UI string/).with.property('line', 2);
  });

  it('takes the sign-in page locale from Accept-Language when it names en or zh', () => {
    expect(acceptedLocale('zh-CN,zh;q=0.9,en;q=0.8')).to.equal('zh-CN');
    expect(acceptedLocale('zh-TW')).to.equal('zh-CN');
    expect(acceptedLocale('en-US,en;q=0.9')).to.equal('en');
    expect(acceptedLocale('fr-FR, en;q=0.5, zh;q=0.8')).to.equal('zh-CN');
    expect(acceptedLocale('de, zh;q=0')).to.equal(undefined);
    expect(acceptedLocale('fr, *')).to.equal(undefined);
    expect(acceptedLocale('')).to.equal(undefined);
    expect(acceptedLocale(undefined)).to.equal(undefined);
  });
});
