import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SYSTEM_ACTOR } from '../http/actor.js';
import type { IncidentDoc } from '../incidents/model.js';
import { createIncidentBody } from '../incidents/schemas.js';
import type { IncidentsService } from '../incidents/service.js';
import type { Mirror } from '../lib/mirror.js';
import { fromPackageRoot } from '../lib/paths.js';

const dataDir = fromPackageRoot('src/demo/data');

/** Files the demo incidents (the seed reports' two) unless an incident with the same title exists. */
export async function seedDemo({ incidents, mirror }: { incidents: IncidentsService; mirror: Mirror }): Promise<{ created: string[]; skipped: string[] }> {
  const created: string[] = [];
  const skipped: string[] = [];
  // Titles from the read model: the store answers only _id from an index.
  await mirror.sync();
  const titles = new Set(mirror.all<IncidentDoc>('incident').map((i) => i.title));
  for (const file of (await readdir(dataDir)).filter((f) => f.endsWith('.json')).sort()) {
    const input = createIncidentBody.parse(JSON.parse(await readFile(path.join(dataDir, file), 'utf8')));
    if (titles.has(input.title)) {
      skipped.push(file);
      continue;
    }
    const incident = await incidents.create(input, SYSTEM_ACTOR);
    created.push(incident.key);
  }
  return { created, skipped };
}
