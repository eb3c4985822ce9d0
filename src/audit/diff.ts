export interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
}

/**
 * Field-by-field changes between two versions of a record, as dotted paths into nested objects.
 * Arrays and other values are compared whole.
 */
export function diffFields(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, ignore: string[] = []): FieldChange[] {
  const changes: FieldChange[] = [];
  walk(before ?? {}, after ?? {}, '', new Set(ignore), changes);
  return changes;
}

function walk(a: unknown, b: unknown, path: string, ignore: Set<string>, out: FieldChange[]): void {
  if (ignore.has(path)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      walk(a[key], b[key], path ? `${path}.${key}` : key, ignore, out);
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field: path, from: a, to: b });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v as { _bsontype?: unknown })._bsontype;
}
