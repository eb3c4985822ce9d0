import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPORTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reports');

/**
 * Weekly reports for the import tests: the seed team's two real ones (copies of ../shared/seeds, kept
 * byte for byte) and one written for the tests (across midnight, date only, no 原因, 9：50, AB级).
 */
export function report(name: '2023-w07' | '2023-w08' | '2023-w10'): string {
  return readFileSync(path.join(REPORTS_DIR, name === '2023-w10' ? `${name}.md` : `${name}.txt`), 'utf8');
}
