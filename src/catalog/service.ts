import type { AuditService } from '../audit/service.js';
import type { Actor } from '../http/actor.js';
import { Conflict, NotFound, staleVersion, Unprocessable } from '../lib/errors.js';
import type { IncidentDoc } from '../incidents/model.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { isDuplicateKey } from '../lib/db.js';
import type { Mirror } from '../lib/mirror.js';
import type { Repository } from '../lib/repository.js';
import type { CatalogServiceDoc } from './model.js';
import type { CreateServiceInput, PatchServiceInput } from './schemas.js';

/** A system whose availability is reported, with the services that count toward it. */
export interface AvailabilitySystem {
  name: string;
  services: string[];
}

export function serviceView(doc: CatalogServiceDoc) {
  return {
    name: doc._id,
    ...(doc.ownerTeam ? { ownerTeam: doc.ownerTeam } : {}),
    ...(doc.system ? { system: doc.system } : {}),
    ...(doc.description ? { description: doc.description } : {}),
    version: doc.version,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}
export type ServiceView = ReturnType<typeof serviceView>;

const ENTITY = 'service';
/** Names compared as a person would: "Payments-API " and "payments-api" are one service. */
const sameName = (name: string) => name.trim().toLowerCase();
const byName = (a: CatalogServiceDoc, b: CatalogServiceDoc) => a._id.localeCompare(b._id);

/**
 * The service catalog: each service's owner team and the availability system it counts toward, read
 * from the read model (src/lib/mirror.ts) and written through its repository (src/lib/repository.ts). AVAILABILITY_SYSTEMS stays the
 * default mapping: a service the catalog holds counts toward the catalog's system (or none); any other
 * service counts toward the system the configuration names it under (docs/catalog.md).
 */
export class ServiceCatalog {
  constructor(private readonly deps: { mirror: Mirror; records: { services: Repository<CatalogServiceDoc> }; audit: AuditService; clock: Clock; config: Config }) {}

  /** Every service in the catalog, by name. */
  async list(): Promise<CatalogServiceDoc[]> {
    await this.deps.mirror.sync();
    return this.listed();
  }

  /** The catalog as of the last sync (callers have synced the read model). */
  listed(): CatalogServiceDoc[] {
    return this.deps.mirror.selection<CatalogServiceDoc>(ENTITY, 'by-name', byName, (d) => !d.removed);
  }

  async find(name: string): Promise<CatalogServiceDoc> {
    await this.deps.mirror.sync();
    const doc = this.deps.mirror.get<CatalogServiceDoc>(ENTITY, name.trim());
    if (!doc || doc.removed) throw new NotFound(`Service ${name}`);
    return doc;
  }

  async create(input: CreateServiceInput, actor: Actor): Promise<CatalogServiceDoc> {
    await this.deps.mirror.sync();
    this.refuseTaken(input.name);
    const now = this.deps.clock.now();
    const fields = { ownerTeam: input.ownerTeam, system: input.system, description: input.description, createdAt: now, updatedAt: now };
    const tombstone = this.deps.mirror.get<CatalogServiceDoc>(ENTITY, input.name);
    let stored: CatalogServiceDoc | undefined;
    if (tombstone) {
      // Added again after a deletion: the next version of the same record, so its history stays one.
      stored = await this.deps.records.services.replace(tombstone, { ...fields, version: tombstone.version + 1 }, actor.email, now);
      if (!stored) throw new Conflict(`Service ${input.name} was added by someone else meanwhile`).saying('serviceTaken', { name: input.name });
    } else {
      try {
        stored = await this.deps.records.services.insert({ _id: input.name, ...fields });
      } catch (err) {
        if (isDuplicateKey(err)) throw this.taken(input.name);
        throw err;
      }
    }
    await this.deps.audit.recordChange(actor, { entity: 'service', key: input.name, event: 'added to the catalog' }, undefined, serviceView(stored));
    return stored;
  }

  async update(name: string, patch: PatchServiceInput, actor: Actor): Promise<CatalogServiceDoc> {
    const current = await this.find(name);
    if (patch.name !== undefined && patch.name !== current._id) {
      throw new Unprocessable('A service keeps its name: add the new name and delete this one', [{ field: 'name', message: `must stay ${current._id}; add ${patch.name} as a new service instead` }]).saying(
        'serviceRenamed',
        { name: current._id },
      );
    }
    if (patch.version !== current.version) throw staleVersion(`Service ${current._id}`, patch.version, current.version);
    const now = this.deps.clock.now();
    const { _id, ...rest } = current;
    const next = { ...rest, version: current.version + 1, updatedAt: now };
    for (const field of ['ownerTeam', 'system', 'description'] as const) {
      const value = patch[field];
      if (value === null) delete next[field];
      else if (value !== undefined) next[field] = value;
    }
    const stored = await this.deps.records.services.replace(current, next, actor.email, now);
    if (!stored) throw staleVersion(`Service ${current._id}`, patch.version, (await this.find(name)).version);
    await this.deps.audit.recordChange(actor, { entity: 'service', key: current._id, event: 'catalog entry changed' }, serviceView(current), serviceView(stored));
    return stored;
  }

  /** Takes a service out of the catalog (a tombstone: see the model); incidents that name it keep the name. */
  async remove(name: string, version: number | undefined, actor: Actor): Promise<void> {
    const current = await this.find(name);
    if (version !== undefined && version !== current.version) throw staleVersion(`Service ${current._id}`, version, current.version);
    const now = this.deps.clock.now();
    const stored = await this.deps.records.services.replace(current, { removed: true, version: current.version + 1, createdAt: current.createdAt, updatedAt: now }, actor.email, now);
    if (!stored) throw staleVersion(`Service ${current._id}`, current.version, (await this.find(name)).version);
    await this.deps.audit.record(actor, { entity: 'service', key: current._id, event: 'removed from the catalog' });
  }

  /**
   * The systems availability is reported for: AVAILABILITY_SYSTEMS in their order, then the systems only
   * the catalog names, by name; each with the services that count toward it. Kept until the catalog changes.
   */
  async systems(): Promise<AvailabilitySystem[]> {
    await this.deps.mirror.sync();
    return this.deps.mirror.derived('catalog:systems', [ENTITY], () => availabilitySystems(this.deps.config.AVAILABILITY_SYSTEMS, this.listed()));
  }

  /**
   * The names a filing form suggests: the catalog's and those incidents already use, by name. Kept until
   * either changes.
   */
  async suggestions(): Promise<string[]> {
    await this.deps.mirror.sync();
    return this.deps.mirror.derived('catalog:suggestions', [ENTITY, 'incident'], () => {
      const names = new Set(this.listed().map((d) => d._id));
      for (const incident of this.deps.mirror.all<IncidentDoc>('incident')) for (const s of incident.services ?? []) names.add(s);
      return [...names].sort((a, b) => a.localeCompare(b));
    });
  }

  /** Which of `names` the catalog does not hold (as typed on an incident). */
  async unknown(names: string[]): Promise<string[]> {
    await this.deps.mirror.sync();
    return names.filter((n) => {
      const doc = this.deps.mirror.get<CatalogServiceDoc>(ENTITY, n);
      return !doc || doc.removed;
    });
  }

  /** A name taken by a service, or by one that differs only in case or spaces, is a duplicate (409). */
  private refuseTaken(name: string): void {
    const clash = this.listed().find((d) => sameName(d._id) === sameName(name));
    if (clash) throw this.taken(clash._id);
  }

  private taken(name: string): Conflict {
    return new Conflict(`Service ${name} is already in the catalog`, { name }).saying('serviceTaken', { name });
  }
}

/** The mapping from the configured systems and the catalog's entries: a catalog entry overrides the configuration for its service. */
export function availabilitySystems(configured: AvailabilitySystem[], catalog: CatalogServiceDoc[]): AvailabilitySystem[] {
  const inCatalog = new Set(catalog.map((d) => d._id));
  const systems = new Map<string, string[]>();
  for (const s of configured) systems.set(s.name, s.services.filter((x) => !inCatalog.has(x)));
  const added = [...new Set(catalog.map((d) => d.system).filter((s): s is string => !!s && !systems.has(s)))].sort((a, b) => a.localeCompare(b));
  for (const name of added) systems.set(name, []);
  for (const d of catalog) if (d.system) systems.get(d.system)!.push(d._id);
  return [...systems].map(([name, services]) => ({ name, services }));
}
