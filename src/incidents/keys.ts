import { isValidObjectId } from 'mongoose';

const KEY_RE = /^INC-(\d{4})-(\d{4,})$/i;

export function formatIncidentKey(year: number, seq: number): string {
  return `INC-${year}-${String(seq).padStart(4, '0')}`;
}

/** An action's key: its incident's and its number there (INC-2023-0002-A1). */
export function formatActionKey(incidentKey: string, seq: number): string {
  return `${incidentKey}-A${seq}`;
}

/** A path segment names an incident by key (INC-2023-0002) or by id; anything else cannot match one. */
export function incidentLookup(keyOrId: string): { key: string } | { _id: string } | undefined {
  if (KEY_RE.test(keyOrId)) return { key: keyOrId.toUpperCase() };
  if (/^[0-9a-f]{24}$/i.test(keyOrId) && isValidObjectId(keyOrId)) return { _id: keyOrId };
  return undefined;
}
