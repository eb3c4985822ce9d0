import { createHash, randomBytes } from 'node:crypto';

/** A new high-entropy secret (API token, sign-in link, session id) with a readable prefix. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Secrets are random, so a fast hash suffices to keep them unreadable at rest (passwords use argon2). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
