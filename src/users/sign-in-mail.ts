import { createHash } from 'node:crypto';
import type { Renderer } from '../documents/renderer.js';
import type { Config } from '../lib/config.js';
import type { Outbox } from '../mail/outbox.js';
import { readerOf, renderEmail } from '../reminders/email.js';
import type { PeopleLookup } from '../reminders/people.js';
import type { UsersService } from './service.js';

/** What sending a sign-in link takes: the person's link, the one renderer, the outbox and the reader's language. */
export interface SignInMail {
  users: UsersService;
  outbox: Outbox;
  renderer: Renderer;
  people: PeopleLookup;
  config: Config;
}

/**
 * Emails a person a one-time sign-in link through the outbox: an invitation (a new person sets their
 * password from it) or a password reset. The link is valid once, for a day (UsersService.issueSignInLink).
 */
export async function sendSignInLink(services: SignInMail, email: string, reason: 'invite' | 'reset', by?: string): Promise<void> {
  const { users, outbox, renderer, people, config } = services;
  const token = await users.issueSignInLink(email);
  const person = await users.find(email);
  const data = { reason, name: person.name, by, url: `${config.BASE_URL}/login/link?token=${encodeURIComponent(token)}` };
  const message = renderEmail(renderer, 'sign-in-link', data, await readerOf(people, config, person.email));
  // One message per link: the token's hash names it, so a retried request cannot send it twice.
  const dedupeKey = `sign-in-link:${person.email}:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
  await outbox.enqueue({ dedupeKey, kind: `sign-in-${reason}`, to: person.email, ...message });
}
