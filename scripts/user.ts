// npm run user:add -- --email E --name N --role R [--timezone Z --locale L --team T --manager M]
// npm run user:token -- --email E [--name laptop]
// Both print a new API token on their last line (shown once; only its hash is stored).
import { parseArgs } from 'node:util';
import { withServices } from '../src/cli.js';
import { SYSTEM_ACTOR } from '../src/http/actor.js';
import { zodFieldErrors } from '../src/http/validate.js';
import { createUserBody } from '../src/users/schemas.js';

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: Object.fromEntries(['email', 'name', 'role', 'timezone', 'locale', 'team', 'manager'].map((o) => [o, { type: 'string' as const }])),
});

await withServices(async ({ users }) => {
  if (command === 'add') {
    const input = createUserBody.safeParse(values);
    if (!input.success) {
      for (const f of zodFieldErrors(input.error)) console.error(`--${f.field}: ${f.message}`);
      process.exitCode = 2;
      return;
    }
    const person = await users.create(input.data, SYSTEM_ACTOR);
    console.log(`added ${person.email} (${person.role}, ${person.timezone}, ${person.locale})`);
    console.log((await users.issueToken(person.email, 'cli', SYSTEM_ACTOR)).token);
  } else if (command === 'token' && values.email) {
    console.log((await users.issueToken(values.email, values.name ?? 'cli', SYSTEM_ACTOR)).token);
  } else {
    console.error('usage: npm run user:add -- --email E --name N --role admin|editor|reviewer|viewer\n       npm run user:token -- --email E');
    process.exitCode = 2;
  }
});
