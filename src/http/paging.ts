import { z } from 'zod';

/** Page and page size of a list query; lists answer with the total beside the page. */
export const pageQuery = {
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
};
