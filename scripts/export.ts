// npm run export -- incidents|actions [--format csv|jsonl] [--out FILE] [any list filter, e.g. --status resolved --startedFrom 2023-01-01]
// Writes what GET /api/v1/exports/<kind> streams, to FILE or stdout; on a terminal a progress bar on stderr.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { withServices } from '../src/cli.js';
import { zodFieldErrors } from '../src/http/validate.js';
import { actionExportQuery, incidentExportQuery, writeExport } from '../src/reports/exports.js';

const USAGE = 'usage: npm run export -- incidents|actions [--format csv|jsonl] [--out FILE] [--<list filter> VALUE …]';
const [kind, ...rest] = process.argv.slice(2);
if (kind !== 'incidents' && kind !== 'actions') {
  console.error(USAGE);
  process.exit(2);
}
const schema = kind === 'incidents' ? incidentExportQuery : actionExportQuery;
// Every filter of the list is an option of the same name.
const names = [...Object.keys(schema.shape), 'out'];
let values: Record<string, string | undefined>;
try {
  values = parseArgs({ args: rest, options: Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])) }).values;
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { out, ...filters } = values;
const parsed = schema.safeParse(filters);
if (!parsed.success) {
  for (const f of zodFieldErrors(parsed.error)) console.error(`--${f.field}: ${f.message}`);
  console.error(USAGE);
  process.exit(2);
}

const sink = out ? createWriteStream(out) : process.stdout;
const tty = process.stderr.isTTY;
function bar(done: number, total: number): void {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${kind}`);
}

await withServices(async (services) => {
  const rows = await writeExport(
    services,
    kind,
    parsed.data as never,
    async (chunk) => {
      if (!sink.write(chunk)) await once(sink, 'drain');
    },
    tty ? bar : undefined,
  );
  if (tty) process.stderr.write('\n');
  if (out) {
    sink.end();
    await once(sink, 'finish');
    console.error(`wrote ${rows} ${kind} to ${out}`);
  }
});
