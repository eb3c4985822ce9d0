import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Unprocessable } from '../lib/errors.js';

/**
 * Channel secrets (robot keys, signing secrets) at rest: AES-256-GCM with CHANNEL_SECRET_KEY
 * (Node.js docs, "crypto.createCipheriv": a 12-byte IV and the 16-byte auth tag). Stored as
 * `v1.<iv>.<tag>.<ciphertext>` in base64url; a tampered value fails to open rather than reading wrong.
 */
export class SecretBox {
  constructor(private readonly key: Buffer | undefined) {}

  get configured(): boolean {
    return this.key !== undefined;
  }

  seal(plain: string, field = 'secret'): string {
    if (!this.key) {
      throw new Unprocessable('CHANNEL_SECRET_KEY is not set: a channel secret cannot be stored unencrypted', [
        { field, message: 'cannot be stored: the server has no CHANNEL_SECRET_KEY (see .env.example)' },
      ]);
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string): string {
    if (!this.key) throw new Error('CHANNEL_SECRET_KEY is not set: stored channel secrets cannot be read');
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed channel secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
