// npm run report -- [--week 2023-08 | --from 2023-01-01 --to 2023-03-31] [--locale zh-CN] [--format md|html|json]
//                   [--date 2023-02-18] [--timezone Asia/Shanghai] [--template weekly|stability]
// npm run report -- record --week 2023-08 --flow 入金有效成功率 --value 99.94 [--note "受微信APP风控事件影响，成功率降低"]
// Prints the weekly section (or the period report) ready to paste, from the same code as
// GET /api/v1/reports/weekly; `record` stores a success rate for a week or period, as PUT /api/v1/reports/metrics does.
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { withServices } from '../src/cli.js';
import { SYSTEM_ACTOR } from '../src/http/actor.js';
import { DomainError } from '../src/lib/errors.js';
import { zodFieldErrors } from '../src/http/validate.js';
import { metricBody, reportQuery } from '../src/reports/schemas.js';

const USAGE = `usage: npm run report -- [--week 2023-08 | --from D --to D] [--locale en|zh-CN] [--format md|html|json] [--date D] [--timezone Z] [--template weekly|stability]
       npm run report -- record (--week W | --from D --to D) --flow NAME --value PERCENT [--note TEXT]`;

const args = process.argv.slice(2);
const command = args[0] === 'record' ? args.shift() : 'print';
const { values } = parseArgs({
  args,
  options: Object.fromEntries(['week', 'from', 'to', 'locale', 'format', 'date', 'timezone', 'template', 'flow', 'value', 'note'].map((o) => [o, { type: 'string' as const }])),
});

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> | undefined {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  for (const f of zodFieldErrors(result.error)) console.error(`--${f.field}: ${f.message}`);
  console.error(USAGE);
  process.exitCode = 2;
  return undefined;
}

const { template, flow, value, note, ...query } = values;
if (template && template !== 'weekly' && template !== 'stability') {
  console.error(`--template: weekly or stability\n${USAGE}`);
  process.exit(2);
}

await withServices(async ({ reports, metrics }) => {
  try {
    if (command === 'record') {
      const body = parse(metricBody, { week: query.week, from: query.from, to: query.to, flow, value, note });
      if (!body) return;
      const { week, from, to, ...input } = body;
      const period = reports.period({ week, from, to });
      await metrics.record(period, input, SYSTEM_ACTOR.email);
      console.log(`recorded ${input.flow} ${input.value}% for ${period.from} ~ ${period.to}`);
      return;
    }
    const q = parse(reportQuery, query);
    if (!q) return;
    if (q.format === 'json') console.log(JSON.stringify(await reports.report(q), null, 2));
    else process.stdout.write((await reports.render({ ...q, format: q.format }, (template as 'weekly' | 'stability' | undefined) ?? 'weekly')).text);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    for (const f of err.fields) console.error(`--${f.field}: ${f.message}`);
    if (!err.fields.length) console.error(err.message);
    process.exitCode = 2;
  }
});
