import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { isDuplicateKey, modelOn } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import { Claims, type ClaimModel } from '../lib/claims.js';
import { DomainError } from '../lib/errors.js';

/**
 * One-click links in emails: "mark done", "snooze 7 days", "new due date". A token names the action,
 * the recipient, the operation and an expiry, signed with HMAC-SHA256; its random id is claimed by a
 * unique insert when the change is confirmed, so it works once.
 */
export const LINK_OPS = ['done', 'snooze', 'due'] as const;
export type LinkOp = (typeof LINK_OPS)[number];

export interface LinkToken {
  id: string;
  actionKey: string;
  recipient: string;
  op: LinkOp;
  expiresAt: Date;
}

/** The link cannot be used; `reason` tells the page what to say. */
export class LinkRefused extends DomainError {
  constructor(readonly reason: 'invalid' | 'expired' | 'used') {
    // A link that never was is malformed; one that was good once is gone.
    super(reason === 'invalid' ? 'malformed' : 'gone', `link_${reason}`, { invalid: 'This link is not valid', expired: 'This link has expired', used: 'This link has already been used' }[reason]);
    this.saying(`link_${reason}`);
  }
}

interface SettingDoc {
  _id: string;
  value: string;
}
const settingSchema = new Schema<SettingDoc>({ _id: String, value: { type: String, required: true } }, { versionKey: false });
export type SettingModel = Model<SettingDoc>;
export function settingModel(conn: Connection): SettingModel {
  return modelOn<SettingDoc>(conn, 'Setting', settingSchema);
}

/** The token of a link made by ActionLinks.url (its last path segment). */
export const tokenOfLink = (url: string) => url.slice(url.lastIndexOf('/') + 1);

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class ActionLinks {
  private secret: Promise<Buffer> | undefined;

  constructor(
    private readonly deps: {
      settings: SettingModel;
      claims: ClaimModel;
      config: Config;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async url(actionKey: string, recipient: string, op: LinkOp): Promise<string> {
    const { config, clock } = this.deps;
    const exp = Math.floor(clock.now().getTime() / 1000) + config.LINK_TTL_DAYS * 86_400;
    const payload = b64(JSON.stringify({ i: randomBytes(12).toString('base64url'), a: actionKey, r: recipient, o: op, e: exp }));
    return `${config.BASE_URL}/links/${payload}.${await this.sign(payload)}`;
  }

  /** Reads a token; throws LinkRefused when it is forged, altered, expired or already used. */
  async verify(token: string): Promise<LinkToken> {
    const link = await this.read(token);
    if (link.expiresAt <= this.deps.clock.now()) throw new LinkRefused('expired');
    return link;
  }

  /** Whom a genuine token was made for, expired or used alike (the page speaks their language); undefined for a forged one. */
  async recipientOf(token: string): Promise<string | undefined> {
    try {
      return (await this.read(token)).recipient;
    } catch (err) {
      if (err instanceof LinkRefused) return undefined;
      throw err;
    }
  }

  /** A token's content once its signature holds, whatever its expiry. */
  private async read(token: string): Promise<LinkToken> {
    const [payload, sig, extra] = token.split('.');
    if (!payload || !sig || extra !== undefined) throw new LinkRefused('invalid');
    const expected = Buffer.from(await this.sign(payload));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new LinkRefused('invalid');
    let data: { i?: unknown; a?: unknown; r?: unknown; o?: unknown; e?: unknown };
    try {
      data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new LinkRefused('invalid');
    }
    const { i, a, r, o, e } = data;
    if (typeof i !== 'string' || typeof a !== 'string' || typeof r !== 'string' || !LINK_OPS.includes(o as LinkOp) || typeof e !== 'number') {
      throw new LinkRefused('invalid');
    }
    return { id: i, actionKey: a, recipient: r, op: o as LinkOp, expiresAt: new Date(e * 1000) };
  }

  /** Takes the token for good; false when it was taken before (by this or a concurrent request). */
  async use(link: LinkToken): Promise<boolean> {
    return new Claims(this.deps.claims).claim(`link:${link.id}`, link.recipient, this.deps.clock.now());
  }

  async used(link: LinkToken): Promise<boolean> {
    return new Claims(this.deps.claims).taken(`link:${link.id}`);
  }

  private async sign(payload: string): Promise<string> {
    return b64(createHmac('sha256', await this.key()).update(payload).digest());
  }

  private key(): Promise<Buffer> {
    this.secret ??= this.deps.config.LINK_SECRET ? Promise.resolve(Buffer.from(this.deps.config.LINK_SECRET)) : this.storedSecret();
    return this.secret;
  }

  /**
   * Without LINK_SECRET a random secret is made once and kept in the database, so the server and
   * every worker sign alike and links survive restarts. Anyone who can read the database can forge
   * links with it, hence the warning.
   */
  private async storedSecret(): Promise<Buffer> {
    const { settings, logger } = this.deps;
    try {
      await settings.create({ _id: 'link-secret', value: randomBytes(32).toString('base64url') });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const doc = await settings.findById('link-secret').lean<SettingDoc>();
    logger.warn('LINK_SECRET is not set: email links are signed with a generated secret kept in the database; set LINK_SECRET in production');
    return Buffer.from(doc!.value);
  }
}
