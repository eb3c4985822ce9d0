import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import type { AuditService } from '../audit/service.js';
import type { Actor } from '../http/actor.js';
import { Conflict, NotFound, staleVersion } from '../http/errors.js';
import type { Claims } from '../lib/claims.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { isDuplicateKey } from '../lib/db.js';
import type { Revisions } from '../lib/revisions.js';
import type { CredentialDoc, CredentialModel, UserDoc, UserModel } from './model.js';
import type { CreateUserInput, PatchUserInput } from './schemas.js';
import { hashSecret, newSecret } from './secrets.js';

const SIGNIN_LINK_TTL_MS = 24 * 3600_000;
const SESSION_TTL_MS = 12 * 3600_000;
/** lastUsedAt is refreshed at most this often, so reads do not each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** Verified against when the email is unknown, so a wrong email costs as long as a wrong password. */
let dummyHash: Promise<string> | undefined;

export function userView(u: UserDoc) {
  return {
    id: String(u._id),
    email: u.email,
    name: u.name,
    role: u.role,
    timezone: u.timezone,
    locale: u.locale,
    team: u.team,
    manager: u.manager,
    disabled: Boolean(u.disabled),
    hasPassword: Boolean(u.passwordHash),
    version: u.version,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

function tokenView(c: CredentialDoc) {
  return {
    id: String(c._id),
    name: c.name,
    prefix: c.prefix,
    createdAt: c.createdAt.toISOString(),
    lastUsedAt: c.lastUsedAt?.toISOString() ?? null,
    revokedAt: c.revokedAt?.toISOString() ?? null,
  };
}

export class UsersService {
  constructor(
    private readonly deps: {
      users: UserModel;
      credentials: CredentialModel;
      revisions: Revisions;
      claims: Claims;
      audit: AuditService;
      clock: Clock;
      config: Config;
    },
  ) {}

  async create(input: CreateUserInput, by: Pick<Actor, 'email'>): Promise<ReturnType<typeof userView>> {
    const now = this.deps.clock.now();
    const { password, ...fields } = input;
    try {
      const doc = await this.deps.users.create({
        ...fields,
        timezone: fields.timezone ?? this.deps.config.DEFAULT_TIMEZONE,
        locale: fields.locale ?? this.deps.config.DEFAULT_LOCALE,
        ...(password ? { passwordHash: await argonHash(password) } : {}),
        version: 0,
        createdAt: now,
        updatedAt: now,
      });
      const view = userView(doc.toObject());
      await this.deps.audit.recordChange(by, { entity: 'user', key: view.email, event: 'created' }, undefined, view);
      return view;
    } catch (err) {
      if (isDuplicateKey(err)) throw new Conflict(`A person with email ${input.email} already exists`);
      throw err;
    }
  }

  async list(): Promise<ReturnType<typeof userView>[]> {
    return (await this.deps.users.find().sort({ email: 1 }).lean<UserDoc[]>()).map(userView);
  }

  async find(emailOrId: string): Promise<UserDoc> {
    const filter = /^[0-9a-f]{24}$/i.test(emailOrId) ? { _id: emailOrId } : { email: emailOrId.toLowerCase() };
    const doc = await this.deps.users.findOne(filter).lean<UserDoc>();
    if (!doc) throw new NotFound(`Person ${emailOrId}`);
    return this.deps.revisions.rollForward(this.deps.users, 'user', doc);
  }

  /** People by email, for showing names and time zones; unknown emails are simply absent. */
  async byEmail(emails: string[]): Promise<Map<string, UserDoc>> {
    const docs = await this.deps.users.find({ email: { $in: emails } }).lean<UserDoc[]>();
    return new Map(docs.map((d) => [d.email, d]));
  }

  async update(emailOrId: string, patch: PatchUserInput, by: Pick<Actor, 'email'>): Promise<ReturnType<typeof userView>> {
    const doc = await this.find(emailOrId);
    if (patch.version !== doc.version) throw staleVersion(`Person ${doc.email}`, patch.version, doc.version);
    const { version: _v, ...changes } = patch;
    const { _id, ...current } = doc;
    const next: Omit<UserDoc, '_id'> = { ...current, version: doc.version + 1, updatedAt: this.deps.clock.now() };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete (next as Record<string, unknown>)[k];
      else if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    }
    if (!(await this.deps.revisions.replace(this.deps.users, 'user', doc, next, by.email, next.updatedAt))) {
      throw staleVersion(`Person ${doc.email}`, patch.version, (await this.find(doc.email)).version);
    }
    await this.deps.audit.recordChange(by, { entity: 'user', key: doc.email, event: 'updated' }, userView(doc), userView({ ...next, _id }));
    return userView({ ...next, _id });
  }

  async setPassword(userId: string, password: string, by: Pick<Actor, 'email'>): Promise<void> {
    const doc = await this.find(userId);
    const next = { ...doc, passwordHash: await argonHash(password), version: doc.version + 1, updatedAt: this.deps.clock.now() };
    const { _id, ...state } = next;
    if (!(await this.deps.revisions.replace(this.deps.users, 'user', doc, state, by.email, next.updatedAt))) {
      throw new Conflict('Your account changed meanwhile; try again');
    }
    await this.deps.audit.record(by, { entity: 'user', key: doc.email, event: 'password set' });
  }

  /** The person with this email and password, or undefined; takes as long whether the email exists or not. */
  async checkPassword(email: string, password: string): Promise<UserDoc | undefined> {
    const doc = await this.deps.users.findOne({ email: email.toLowerCase() }).lean<UserDoc>();
    if (!doc?.passwordHash || doc.disabled) {
      await argonVerify(await (dummyHash ??= argonHash('not-a-password-of-anyone')), password);
      return undefined;
    }
    return (await argonVerify(doc.passwordHash, password)) ? doc : undefined;
  }

  // --- API tokens -------------------------------------------------------------------------------

  /** A new API token for the person; the token itself is shown once and stored only as a hash. */
  async issueToken(emailOrId: string, name: string, by: Pick<Actor, 'email'>): Promise<{ token: string } & ReturnType<typeof tokenView>> {
    const user = await this.find(emailOrId);
    const token = newSecret('dbr');
    const doc = await this.deps.credentials.create({
      kind: 'api',
      hash: hashSecret(token),
      userId: user._id,
      prefix: token.slice(0, 8),
      name,
      createdAt: this.deps.clock.now(),
    });
    await this.deps.audit.record(by, { entity: 'token', key: user.email, event: 'token issued', note: name });
    return { token, ...tokenView(doc.toObject()) };
  }

  async listTokens(userId: string) {
    const docs = await this.deps.credentials.find({ userId, kind: 'api' }).sort({ createdAt: 1 }).lean<CredentialDoc[]>();
    return docs.map(tokenView);
  }

  async revokeToken(userId: string, tokenId: string, by: Pick<Actor, 'email'>): Promise<ReturnType<typeof tokenView>> {
    const doc = /^[0-9a-f]{24}$/i.test(tokenId)
      ? await this.deps.credentials.findOne({ _id: tokenId, userId, kind: 'api' }).lean<CredentialDoc>()
      : undefined;
    if (!doc) throw new NotFound(`Token ${tokenId}`);
    if (!doc.revokedAt) {
      await this.deps.credentials.updateOne({ _id: doc._id }, { $set: { revokedAt: this.deps.clock.now() } });
      await this.deps.audit.record(by, { entity: 'token', key: String(doc.userId), event: 'token revoked', note: doc.name });
    }
    return tokenView({ ...doc, revokedAt: doc.revokedAt ?? this.deps.clock.now() });
  }

  /** The person an API token belongs to, if it is valid. */
  async authenticateToken(token: string): Promise<UserDoc | undefined> {
    return this.authenticate('api', token);
  }

  // --- browser sign-in --------------------------------------------------------------------------

  /** A one-time sign-in link token (first admin, password resets), valid for a day. */
  async issueSignInLink(emailOrId: string): Promise<string> {
    const user = await this.find(emailOrId);
    const token = newSecret('dbs');
    const now = this.deps.clock.now();
    await this.deps.credentials.create({ kind: 'signin', hash: hashSecret(token), userId: user._id, createdAt: now, expiresAt: new Date(now.getTime() + SIGNIN_LINK_TTL_MS) });
    return token;
  }

  /** Uses a sign-in link: valid once, whoever opens it first. */
  async consumeSignInLink(token: string): Promise<UserDoc | undefined> {
    const user = await this.authenticate('signin', token);
    if (!user) return undefined;
    const now = this.deps.clock.now();
    if (!(await this.deps.claims.claim(`signin:${hashSecret(token)}`, user.email, now))) return undefined;
    await this.deps.credentials.updateOne({ hash: hashSecret(token) }, { $set: { revokedAt: now } });
    return user;
  }

  async startSession(userId: string): Promise<string> {
    const session = newSecret('dbc');
    const now = this.deps.clock.now();
    await this.deps.credentials.create({ kind: 'session', hash: hashSecret(session), userId, createdAt: now, expiresAt: new Date(now.getTime() + SESSION_TTL_MS) });
    return session;
  }

  async authenticateSession(session: string): Promise<UserDoc | undefined> {
    return this.authenticate('session', session);
  }

  async endSession(session: string): Promise<void> {
    await this.deps.credentials.updateOne({ kind: 'session', hash: hashSecret(session) }, { $set: { revokedAt: this.deps.clock.now() } });
  }

  /**
   * On an empty database: an admin (ADMIN_EMAIL) and a one-time sign-in link for them.
   * Two processes starting at once create one admin: the unique email refuses the second.
   */
  async bootstrapAdmin(email: string): Promise<{ email: string; signInToken: string } | undefined> {
    if ((await this.deps.users.estimatedDocumentCount()) > 0) return undefined;
    try {
      await this.create({ email, name: 'Administrator', role: 'admin' }, { email: 'system@debrief.local' });
    } catch (err) {
      if (err instanceof Conflict) return undefined;
      throw err;
    }
    return { email, signInToken: await this.issueSignInLink(email) };
  }

  private async authenticate(kind: CredentialDoc['kind'], secret: string): Promise<UserDoc | undefined> {
    const now = this.deps.clock.now();
    const cred = await this.deps.credentials.findOne({ kind, hash: hashSecret(secret) }).lean<CredentialDoc>();
    if (!cred || cred.revokedAt || (cred.expiresAt && cred.expiresAt <= now)) return undefined;
    const user = await this.deps.users.findById(cred.userId).lean<UserDoc>();
    if (!user || user.disabled) return undefined;
    if (!cred.lastUsedAt || now.getTime() - cred.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.deps.credentials.updateOne({ _id: cred._id }, { $set: { lastUsedAt: now } });
    }
    return user;
  }

  /** Who a sign-in link would sign in, without using it up (the link's confirmation page). */
  async signInLinkHolder(token: string): Promise<UserDoc | undefined> {
    return this.authenticate('signin', token);
  }
}

export function actorFromUser(u: UserDoc): Actor {
  return { id: String(u._id), email: u.email, name: u.name, role: u.role, timezone: u.timezone, locale: u.locale };
}
