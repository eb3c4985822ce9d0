import { z } from 'zod';

/** A service's name as incidents write it under "services" (the same rule), and its key in the catalog. */
export const serviceName = z.string().trim().min(1).max(100);
const team = z.string().trim().min(1).max(100);
const system = z.string().trim().min(1).max(100).describe('the availability system it counts toward');
const description = z.string().trim().min(1).max(2000);

export const createServiceBody = z.strictObject({
  name: serviceName,
  ownerTeam: team.optional(),
  system: system.optional(),
  description: description.optional(),
});
export type CreateServiceInput = z.output<typeof createServiceBody>;

/** Named fields replace; null clears one. The name is the key: changing it is refused (422), add the new name instead. */
export const patchServiceBody = z.strictObject({
  version: z.number().int().min(0).describe('the version read, so a change made meanwhile is not overwritten (409)'),
  name: serviceName.optional().describe('only the current name: a service is renamed by adding the new name and deleting the old'),
  ownerTeam: team.nullable().optional(),
  system: system.nullable().optional(),
  description: description.nullable().optional(),
});
export type PatchServiceInput = z.output<typeof patchServiceBody>;

export const serviceParams = z.strictObject({ name: serviceName });

export const deleteServiceQuery = z.strictObject({
  version: z.coerce.number().int().min(0).optional().describe('the version read; a change made meanwhile refuses the deletion (409)'),
});

export const serviceView = z.looseObject({
  name: z.string(),
  ownerTeam: z.string().optional(),
  system: z.string().optional(),
  description: z.string().optional(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const serviceList = z.object({ items: z.array(serviceView), total: z.number().int() });
