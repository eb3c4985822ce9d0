import type { z } from 'zod';
import { BadRequest, type FieldError } from './errors.js';

/** Refuses MongoDB query operators (`$gt`, `$where`, …) and dotted paths as keys anywhere in user input. */
export function refuseOperators(value: unknown, where: string): void {
  const found = findOperatorKey(value, []);
  if (found) {
    throw new BadRequest(`Query operators are not accepted in the ${where}`, [
      { field: found.join('.'), message: `"${found[found.length - 1]}" looks like a query operator; send plain values` },
    ]);
  }
}

function findOperatorKey(value: unknown, path: string[]): string[] | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findOperatorKey(item, [...path, String(i)]);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('$') || key.includes('[$') || key.includes('.$')) return [...path, key];
      const found = findOperatorKey(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Parses `input` with `schema`, or throws a 400 listing every bad field by its path. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  refuseOperators(input, where);
  // reportInput lets zodFieldErrors tell a missing field ("required") from one of the wrong type.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new BadRequest(`Invalid ${where}`, zodFieldErrors(result.error));
}

export function zodFieldErrors(error: z.ZodError): FieldError[] {
  const fields: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields.push({ field: [...base, key].join('.'), message: 'unknown field' });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      fields.push({ field: base.join('.'), message: 'required' });
    } else {
      fields.push({ field: base.join('.') || '(body)', message: issue.message });
    }
  }
  return fields;
}
