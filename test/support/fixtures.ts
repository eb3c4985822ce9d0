import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The acceptance fixtures in ../shared (the canonical copies), falling back to the demo data shipped in src/. */
export function fixture(name: 'tidb-sync' | 'decrypt-failure'): Record<string, unknown> & { actions: Record<string, unknown>[] } {
  const file = name === 'tidb-sync' ? '2023-02-05-tidb-sync.json' : '2023-02-14-decrypt-failure.json';
  for (const dir of [path.join(root, '../shared/fixtures/incidents'), path.join(root, 'src/demo/data')]) {
    try {
      return JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    } catch {
      // try the next copy
    }
  }
  throw new Error(`fixture ${file} not found`);
}
