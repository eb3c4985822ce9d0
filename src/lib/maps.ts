/** The value under `key` (in a Map or a WeakMap), made and stored first when missing. */
export function getOr<K, V>(map: { get(key: K): V | undefined; set(key: K, value: V): unknown }, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

/** The value under `key` in a map that keeps at most `limit` entries, made and stored first when missing. */
export function getOrBounded<K, V>(map: Map<K, V>, key: K, limit: number, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) setBounded(map, key, (value = make()), limit);
  return value;
}

/** Sets `key` in a map that keeps at most `limit` entries: the one set longest ago goes first. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  if (map.size >= limit) map.delete(map.keys().next().value!);
  map.set(key, value);
}
