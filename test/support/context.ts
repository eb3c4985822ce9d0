import type { Express } from 'express';
import type { Connection } from 'mongoose';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { ManualClock } from '../../src/lib/clock.js';
import { loadConfig, type Config } from '../../src/lib/config.js';
import { connectDb } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildServices, syncIndexes, type Services } from '../../src/services.js';
import { serverUri } from './hooks.js';

export interface TestContext {
  app: Express;
  api: supertest.Agent;
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
export async function createTestContext(name: string, env: Record<string, string> = {}): Promise<TestContext> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', ...env });
  const conn = await connectDb(serverUri(), `test_${name.replace(/\W/g, '_')}`);
  await conn.dropDatabase();
  const clock = new ManualClock('2026-11-25T02:00:00Z');
  const services = buildServices({ config, conn, clock, logger: createLogger('silent') });
  await syncIndexes(services);
  const app = createApp(services);
  return { app, api: supertest(app), services, clock, config, conn, close: () => conn.close() };
}
