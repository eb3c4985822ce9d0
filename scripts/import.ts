// npm run import -- FILE… [--apply] [--timezone Asia/Shanghai]
// Reads weekly reports (.md/.txt as a wiki exports them) and prints the incidents it proposes for their
// 生产稳定性事件 entries, with warnings by line; --apply files the new ones (an entry already imported is
// never filed twice). A file that cannot be read stops it before anything is written: one line, exit 2.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { withServices } from '../src/cli.js';
import { SYSTEM_ACTOR } from '../src/http/actor.js';
import { DomainError } from '../src/lib/errors.js';
import { importTable } from '../src/imports/table.js';

const USAGE = 'usage: npm run import -- FILE… [--apply] [--timezone ZONE]';
let args;
try {
  args = parseArgs({ allowPositionals: true, options: { apply: { type: 'boolean' }, timezone: { type: 'string' } } });
} catch (err) {
  console.error(`import: ${(err as Error).message}; ${USAGE}`);
  process.exit(2);
}
if (!args.positionals.length) {
  console.error(USAGE);
  process.exit(2);
}
const files: [string, string][] = [];
for (const file of args.positionals) {
  try {
    files.push([file, readFileSync(file, 'utf8')]);
  } catch (err) {
    console.error(`import: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    process.exit(2);
  }
}

await withServices(async ({ imports }) => {
  const totals = { proposed: 0, filed: 0, imported: 0 };
  for (const [file, text] of files) {
    try {
      const result = await imports.weeklyReports({ text, timezone: args.values.timezone, dryRun: !args.values.apply }, SYSTEM_ACTOR);
      console.log(importTable(file, result));
      totals.proposed += result.entries.filter((e) => e.status === 'new').length;
      totals.filed += result.filed.length;
      totals.imported += result.entries.filter((e) => e.status === 'imported').length;
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      // One bad file (no entries, a refused entry, a bad zone) is named and the others still go.
      console.log(`${file}: ${err.message}${err.fields.map((f) => `\n${file}: ${f.field}: ${f.message}`).join('')}`);
      process.exitCode = 1;
    }
  }
  console.log(
    args.values.apply
      ? `filed ${totals.filed}, already imported ${totals.imported}`
      : `${totals.proposed} to file, ${totals.imported} already imported: nothing written; add --apply to file them`,
  );
});
