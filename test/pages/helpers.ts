import supertest from 'supertest';
import type { Express } from 'express';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import type { Locale } from '../../src/lib/config.js';
import type { Role } from '../../src/users/permissions.js';
import type { TestContext } from '../support/context.js';

export const PASSWORD = 'a long enough password';

/** The form token on a page (every page form carries one). */
export function formToken(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no _csrf field on the page');
  return token;
}

/** People who sign in with PASSWORD, each with a role and the locale they read. */
export async function addPeople(t: TestContext, people: [email: string, role: Role, locale: Locale][]): Promise<void> {
  for (const [email, role, locale] of people) {
    const user = await t.services.users.create({ email, name: email.split('@')[0]!, role, locale }, SYSTEM_ACTOR);
    await t.services.users.setPassword(user.id, PASSWORD, SYSTEM_ACTOR);
  }
}

/** A browser-like agent signed in through the login form, and the form token of its session. */
export async function signedIn(app: Express, email: string): Promise<{ agent: supertest.Agent; token: string }> {
  const agent = supertest.agent(app);
  const login = await agent.get('/login').expect(200);
  await agent.post('/login').type('form').send({ _csrf: formToken(login.text), email, password: PASSWORD, next: '/' }).expect(303);
  return { agent, token: formToken((await agent.get('/').expect(200)).text) };
}
