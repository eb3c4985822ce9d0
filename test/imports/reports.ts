import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPORTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reports');

/**
 * Weekly reports for the import tests: the seed team's two real ones (copies of ../shared/seeds, kept
 * byte for byte), one written for the tests (across midnight, date only, no 原因, 9：50, AB级) and the
 * report of issue 25 (a `3. 事故：` item after an entry's actions, `- C级事故：3/16 …`, 未同步 rows).
 */
export function report(name: '2023-w07' | '2023-w08' | '2023-w10' | '2023-w11'): string {
  return readFileSync(path.join(REPORTS_DIR, name === '2023-w07' || name === '2023-w08' ? `${name}.txt` : `${name}.md`), 'utf8');
}
