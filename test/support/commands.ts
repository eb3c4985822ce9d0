import type { Connection } from 'mongoose';

export interface Command {
  name: string;
  collection: string;
  filter?: Record<string, unknown>;
}

/** Every command the app's connection sends while `fn` runs, with the filter of finds, updates and deletes. */
export async function commandsDuring(conn: Connection, fn: () => Promise<unknown>): Promise<Command[]> {
  const client = conn.getClient();
  const seen: Command[] = [];
  const listener = (e: { commandName: string; command: Record<string, any>; databaseName: string }) => {
    if (e.databaseName !== conn.name) return;
    const c = e.command;
    const filter = c.filter ?? c.updates?.[0]?.q ?? c.deletes?.[0]?.q;
    seen.push({ name: e.commandName, collection: c[e.commandName], ...(filter ? { filter } : {}) });
  };
  client.on('commandStarted', listener);
  try {
    await fn();
  } finally {
    client.off('commandStarted', listener);
  }
  return seen;
}

/** No filter, or one that names a single _id (a string or an ObjectId, not an operator), perhaps with a version. */
export const byIdOnly = (c: Command) => !c.filter || typeof c.filter._id === 'string' || (c.filter._id as { _bsontype?: string } | undefined)?._bsontype === 'ObjectId';
