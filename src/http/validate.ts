import type { z } from 'zod';
import { BadRequest, type FieldError } from '../lib/errors.js';

/** Deeper than any document the API takes (an incident nests 4 levels); deeper input is refused before anything walks it. */
export const MAX_INPUT_DEPTH = 32;

interface Visit {
  value: unknown;
  depth: number;
  key: string;
  parent?: Visit;
}

const pathOf = (visit: Visit): string[] => {
  const keys: string[] = [];
  for (let v: Visit | undefined = visit; v?.parent; v = v.parent) keys.push(v.key);
  return keys.reverse();
};

/**
 * Walks user input without recursion (a stack, and paths built only when reporting), so deep or wide
 * input costs time in proportion to its size: first the nesting limit, then MongoDB query operators
 * (`$gt`, `$where`, …) and dotted operator paths as keys, then NUL characters, each a 400 naming the field.
 */
export function refuseOperators(value: unknown, where: string): void {
  const tooDeep = walk(value, (v) => v.depth > MAX_INPUT_DEPTH);
  if (tooDeep) {
    throw new BadRequest(`The ${where} nests deeper than ${MAX_INPUT_DEPTH} levels`, [
      { field: pathOf(tooDeep).slice(0, MAX_INPUT_DEPTH).join('.') || '(body)', message: `nested deeper than ${MAX_INPUT_DEPTH} levels` },
    ]);
  }
  const operator = walk(value, (v) => v.parent !== undefined && !Array.isArray(v.parent.value) && /^\$|\[\$|\.\$/.test(v.key));
  if (operator) {
    throw new BadRequest(`Query operators are not accepted in the ${where}`, [
      { field: pathOf(operator).join('.'), message: `"${operator.key}" looks like a query operator; send plain values` },
    ]);
  }
  // PostgreSQL (under FerretDB) cannot store a NUL character, and no field of ours needs one.
  const nul = walk(value, (v) => (typeof v.value === 'string' && v.value.includes('\u0000')) || v.key.includes('\u0000'));
  if (nul) {
    throw new BadRequest(`The ${where} contains a NUL character`, [{ field: pathOf(nul).join('.') || '(body)', message: 'must not contain a NUL character (\\u0000)' }]);
  }
}

/** The first node (depth first) for which `found` is true; children of a node deeper than the limit are not visited. */
function walk(root: unknown, found: (visit: Visit) => boolean): Visit | undefined {
  const stack: Visit[] = [{ value: root, depth: 0, key: '' }];
  while (stack.length) {
    const visit = stack.pop()!;
    if (found(visit)) return visit;
    if (visit.depth > MAX_INPUT_DEPTH || !visit.value || typeof visit.value !== 'object') continue;
    const entries = Array.isArray(visit.value) ? visit.value.map((item, i) => [String(i), item] as const) : Object.entries(visit.value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, value] = entries[i]!;
      stack.push({ value, depth: visit.depth + 1, key, parent: visit });
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
