import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's own folder, the one holding package.json: `templates/`, `locales/`, `scripts/` and the
 * demo data are found from it whether this code runs as TypeScript from `src/` (tsx) or compiled from
 * `dist/src/` (npm start), which sit at different depths.
 */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. fromPackageRoot('templates', 'assets'). */
export function fromPackageRoot(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}
