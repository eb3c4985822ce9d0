import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SYSTEM_ACTOR } from '../http/actor.js';
import { createIncidentBody } from '../incidents/schemas.js';
import { fromPackageRoot } from '../lib/paths.js';
import type { Services } from '../services.js';

const dataDir = fromPackageRoot('src/demo/data');

/** Files the demo incidents (the seed reports' two) unless an incident with the same title exists. */
export async function seedDemo(services: Services): Promise<{ created: string[]; skipped: string[] }> {
  const created: string[] = [];
  const skipped: string[] = [];
  for (const file of (await readdir(dataDir)).filter((f) => f.endsWith('.json')).sort()) {
    const input = createIncidentBody.parse(JSON.parse(await readFile(path.join(dataDir, file), 'utf8')));
    if (await services.models.incidents.exists({ title: input.title })) {
      skipped.push(file);
      continue;
    }
    const incident = await services.incidents.create(input, SYSTEM_ACTOR);
    created.push(incident.key);
  }
  return { created, skipped };
}
