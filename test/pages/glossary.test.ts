import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rejectedTerms, ZH_GLOSSARY } from '../../src/documents/glossary.js';
import { UI_STRINGS } from '../../src/documents/ui-strings.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every file under `dir` (relative to the repository), recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * Files that name the rejected synonyms on purpose: the glossary itself, and the import parser, which
 * recognizes labels and data-repair paragraphs in a report whatever word its author used.
 */
const ON_PURPOSE = new Set([path.join('src', 'documents', 'glossary.ts'), path.join('src', 'imports', 'entry.ts'), path.join('src', 'imports', 'labels.ts')]);

describe('zh-CN glossary: one term per concept', () => {
  it('finds a rejected synonym when one is used (the check can fail)', () => {
    expect(rejectedTerms('请在纠正措施里补充数据修复的范围')).to.deep.equal([
      { found: '纠正措施', use: '改进措施' },
      { found: '数据修复', use: '补数' },
    ]);
  });

  it('no zh-CN string (messages and the terms: sections, statuses, roles…) uses a rejected synonym', () => {
    const bad = Object.entries(UI_STRINGS['zh-CN']!).flatMap(([id, text]) => rejectedTerms(text).map((r) => `${id}: ${r.found} → ${r.use}`));
    expect(bad).to.deep.equal([]);
  });

  it('no template and no source file (a sentence written in code) uses a rejected synonym', () => {
    const files = [...filesUnder('templates'), ...filesUnder('src'), ...filesUnder('locales')].filter((f) => !ON_PURPOSE.has(f) && !/\.en\.\w+$/.test(f));
    expect(files.length).to.be.greaterThan(50);
    const bad = files.flatMap((f) => rejectedTerms(readFileSync(path.join(ROOT, f), 'utf8')).map((r) => `${f}: ${r.found} → ${r.use}`));
    expect(bad).to.deep.equal([]);
  });

  it('each chosen term is what the pages use', () => {
    const zh = Object.values(UI_STRINGS['zh-CN']!).join('\n');
    for (const { term } of ZH_GLOSSARY) expect(zh, term).to.include(term);
  });
});
