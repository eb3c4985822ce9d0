import type { Express } from 'express';
import type { Connection } from 'mongoose';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import type { Role } from '../../src/users/permissions.js';
import { ManualClock } from '../../src/lib/clock.js';
import { loadConfig, type Config } from '../../src/lib/config.js';
import { connectDb } from '../../src/lib/db.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { buildServices, syncIndexes, type Services } from '../../src/services.js';
import { serverUri } from './hooks.js';

export interface TestContext {
  app: Express;
  /** An agent signed in as an admin (admin@example.com). */
  api: supertest.Agent;
  /** An agent signed in as a new person with this role (and email, default <role>@example.com). */
  as(role: Role, email?: string): Promise<supertest.Agent>;
  services: Services;
  clock: ManualClock;
  config: Config;
  conn: Connection;
  close(): Promise<void>;
}

/**
 * A fresh app on a database of its own (named after the test file), with a clock the test moves.
 * `env` overrides configuration as the environment would.
 */
export async function createTestContext(name: string, env: Record<string, string> = {}, opts: { monitorCommands?: boolean; logger?: Logger } = {}): Promise<TestContext> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', ...env });
  const conn = await connectDb(serverUri(), `test_${name.replace(/\W/g, '_')}`, { monitorCommands: opts.monitorCommands });
  await conn.dropDatabase();
  const clock = new ManualClock('2026-11-25T02:00:00Z');
  const services = buildServices({ config, conn, clock, logger: opts.logger ?? createLogger('silent') });
  await syncIndexes(services);
  const app = createApp(services);
  const as = async (role: Role, email = `${role}@example.com`) => {
    const existing = (await services.users.byEmail([email])).get(email);
    if (!existing) await services.users.create({ email, name: email.split('@')[0]!, role }, SYSTEM_ACTOR);
    const { token } = await services.users.issueToken(email, 'test', SYSTEM_ACTOR);
    return supertest.agent(app).set('Authorization', `Bearer ${token}`);
  };
  const api = await as('admin');
  return { app, api, as, services, clock, config, conn, close: () => conn.close() };
}

/**
 * Runs `fn` with the services of another process on the test's database (a connection of its own, the
 * test's configuration and clock), closing that connection afterwards.
 */
export async function inAnotherProcess<T>(t: TestContext, fn: (other: Services) => Promise<T>): Promise<T> {
  const conn = await connectDb(serverUri(), t.conn.name);
  try {
    return await fn(buildServices({ config: t.config, conn, clock: t.clock, logger: createLogger('silent') }));
  } finally {
    await conn.close();
  }
}
