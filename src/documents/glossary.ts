/**
 * One Chinese term per concept: the word the seed weekly reports use (改进措施, 补数), or where they are
 * silent the one most of our pages already used (促成因素), and the synonyms no zh-CN string, label or
 * template may use instead (test/pages/glossary.test.ts scans them all).
 */
export const ZH_GLOSSARY: readonly { concept: string; term: string; rejected: readonly string[] }[] = [
  { concept: 'corrective action', term: '改进措施', rejected: ['纠正措施', '整改措施'] },
  { concept: 'data repair', term: '补数', rejected: ['数据修复', '修复数据'] },
  { concept: 'contributing factor', term: '促成因素', rejected: ['相关因素', '诱发因素'] },
];

/** The rejected synonyms found in `text`, each with the term to use instead. */
export function rejectedTerms(text: string): { found: string; use: string }[] {
  return ZH_GLOSSARY.flatMap(({ term, rejected }) => rejected.filter((r) => text.includes(r)).map((found) => ({ found, use: term })));
}
