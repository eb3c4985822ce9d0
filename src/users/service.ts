import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { Types, type Model } from 'mongoose';
import type { AuditService } from '../audit/service.js';
import type { Actor } from '../http/actor.js';
import { Conflict, NotFound, staleVersion } from '../lib/errors.js';
import type { Claims } from '../lib/claims.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { isDuplicateKey } from '../lib/db.js';
import type { Mirror } from '../lib/mirror.js';
import type { Repository } from '../lib/repository.js';
import type { CredentialDoc, CredentialModel, CredentialUseDoc, UserDoc, UserModel } from './model.js';
import type { CreateUserInput, PatchUserInput } from './schemas.js';
import { hashSecret, newSecret } from './secrets.js';

/** Expired sign-ins removed per feed entry and round of deletes. */
const PRUNE_BATCH = 200;

const SIGNIN_LINK_TTL_MS = 24 * 3600_000;
const SESSION_TTL_MS = 12 * 3600_000;
/** lastUsedAt is refreshed at most this often, so reads do not each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** Verified against when the email is unknown, so a wrong email costs as long as a wrong password. */
let dummyHash: Promise<string> | undefined;

/** Views of the people the read model holds (never changed in place): lists show them on every page. */
const userViews = new WeakMap<UserDoc, ReturnType<typeof buildUserView>>();

export function userView(u: UserDoc): ReturnType<typeof buildUserView> {
  let view = userViews.get(u);
  if (!view) userViews.set(u, (view = buildUserView(u)));
  return view;
}

function buildUserView(u: UserDoc) {
  return {
    id: String(u._id),
    email: u.email,
    name: u.name,
    role: u.role,
    timezone: u.timezone,
    locale: u.locale,
    team: u.team,
    manager: u.manager,
    ...(u.chat ? { chat: u.chat } : {}),
    disabled: Boolean(u.disabled),
    hasPassword: Boolean(u.passwordHash),
    version: u.version,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

function tokenView(c: CredentialDoc, lastUsedAt?: Date) {
  return {
    id: c.tokenId!,
    name: c.name,
    prefix: c.prefix,
    createdAt: c.createdAt.toISOString(),
    lastUsedAt: lastUsedAt?.toISOString() ?? null,
    revokedAt: c.revokedAt?.toISOString() ?? null,
  };
}

export class UsersService {
  /** When this process last recorded each secret's use (it writes at most once a minute per secret). */
  private readonly lastUsed = new Map<string, number>();

  constructor(
    private readonly deps: {
      users: UserModel;
      credentials: CredentialModel;
      credentialUses: Model<CredentialUseDoc>;
      /** People and credentials are looked up here, kept fresh through the change feed. */
      mirror: Mirror;
      /** The only way people and credentials are written (src/lib/repository.ts). */
      records: { users: Repository<UserDoc>; credentials: Repository<CredentialDoc> };
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
      const doc = await this.deps.records.users.insert({
        _id: new Types.ObjectId(),
        ...fields,
        timezone: fields.timezone ?? this.deps.config.DEFAULT_TIMEZONE,
        locale: fields.locale ?? this.deps.config.DEFAULT_LOCALE,
        ...(password ? { passwordHash: await argonHash(password) } : {}),
        createdAt: now,
        updatedAt: now,
      });
      const view = userView(doc);
      await this.deps.audit.recordChange(by, { entity: 'user', key: view.email, event: 'created' }, undefined, view);
      return view;
    } catch (err) {
      if (isDuplicateKey(err)) throw new Conflict(`A person with email ${input.email} already exists`);
      throw err;
    }
  }

  /** Everyone, by email, as of every write acknowledged so far. Callers must not change it. */
  async list(): Promise<ReturnType<typeof userView>[]> {
    await this.deps.mirror.sync();
    return this.listed();
  }

  /** Everyone, by email, from the read model as it is (synced by the caller); kept until a person changes (every incident and actions page lists the team). */
  listed(): ReturnType<typeof userView>[] {
    return this.deps.mirror.derived('users:by-email', ['user'], () =>
      this.deps.mirror
        .all<UserDoc>('user')
        .sort((a, b) => (a.email < b.email ? -1 : 1))
        .map(userView),
    );
  }

  /** A person by id or email, as of every write acknowledged so far, from the read model. */
  async find(emailOrId: string): Promise<UserDoc> {
    await this.deps.mirror.sync();
    const doc = /^[0-9a-f]{24}$/i.test(emailOrId)
      ? this.deps.mirror.get<UserDoc>('user', emailOrId)
      : this.deps.mirror.find<UserDoc>('user', 'email', emailOrId.toLowerCase())[0];
    if (!doc) throw new NotFound(`Person ${emailOrId}`);
    return doc;
  }

  /** People by email, for showing names and time zones; unknown emails are simply absent. */
  async byEmail(emails: string[]): Promise<Map<string, UserDoc>> {
    await this.deps.mirror.sync();
    const out = new Map<string, UserDoc>();
    for (const email of emails) {
      const doc = this.deps.mirror.find<UserDoc>('user', 'email', email)[0];
      if (doc) out.set(email, doc);
    }
    return out;
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
    if (!(await this.deps.records.users.replace(doc, next, by.email, next.updatedAt))) {
      throw staleVersion(`Person ${doc.email}`, patch.version, (await this.find(doc.email)).version);
    }
    await this.deps.audit.recordChange(by, { entity: 'user', key: doc.email, event: 'updated' }, userView(doc), userView({ ...next, _id }));
    return userView({ ...next, _id });
  }

  async setPassword(userId: string, password: string, by: Pick<Actor, 'email'>): Promise<void> {
    const doc = await this.find(userId);
    const next = { ...doc, passwordHash: await argonHash(password), version: doc.version + 1, updatedAt: this.deps.clock.now() };
    const { _id, ...state } = next;
    if (!(await this.deps.records.users.replace(doc, state, by.email, next.updatedAt))) {
      throw new Conflict('Your account changed meanwhile; try again');
    }
    await this.deps.audit.record(by, { entity: 'user', key: doc.email, event: 'password set' });
  }

  /** The person with this email and password, or undefined; takes as long whether the email exists or not. */
  async checkPassword(email: string, password: string): Promise<UserDoc | undefined> {
    const doc = (await this.byEmail([email.toLowerCase()])).get(email.toLowerCase());
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
    const doc = await this.insertCredential({
      _id: hashSecret(token),
      kind: 'api',
      tokenId: String(new Types.ObjectId()),
      userId: user._id,
      prefix: token.slice(0, 8),
      name,
      createdAt: this.deps.clock.now(),
    });
    await this.deps.audit.record(by, { entity: 'token', key: user.email, event: 'token issued', note: name });
    return { token, ...tokenView(doc) };
  }

  /** A person's API tokens, oldest first, with when each was last used. */
  async listTokens(userId: string) {
    await this.deps.mirror.sync();
    const docs = this.deps.mirror
      .find<CredentialDoc>('credential', 'user', userId)
      .filter((c) => c.kind === 'api')
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const uses = await Promise.all(docs.map((c) => this.deps.credentialUses.findById(c._id).lean<CredentialUseDoc>()));
    return docs.map((c, i) => tokenView(c, uses[i]?.at));
  }

  async revokeToken(userId: string, tokenId: string, by: Pick<Actor, 'email'>): Promise<ReturnType<typeof tokenView>> {
    await this.deps.mirror.sync();
    const doc = this.deps.mirror.find<CredentialDoc>('credential', 'token', tokenId).find((c) => String(c.userId) === userId && c.kind === 'api');
    if (!doc) throw new NotFound(`Token ${tokenId}`);
    const revoked = await this.revoke(doc);
    if (!doc.revokedAt) await this.deps.audit.record(by, { entity: 'token', key: String(doc.userId), event: 'token revoked', note: doc.name });
    return tokenView(revoked);
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
    await this.insertCredential({ _id: hashSecret(token), kind: 'signin', userId: user._id, createdAt: now, expiresAt: new Date(now.getTime() + SIGNIN_LINK_TTL_MS) });
    return token;
  }

  /** Uses a sign-in link: valid once, whoever opens it first. */
  async consumeSignInLink(token: string): Promise<UserDoc | undefined> {
    const user = await this.authenticate('signin', token);
    if (!user) return undefined;
    const now = this.deps.clock.now();
    if (!(await this.deps.claims.claim(`signin:${hashSecret(token)}`, user.email, now))) return undefined;
    const link = this.deps.mirror.get<CredentialDoc>('credential', hashSecret(token));
    if (link) await this.revoke(link);
    return user;
  }

  /** A browser session; `provider` ties it to the identity provider's session, which may end it (back-channel logout). */
  async startSession(userId: string, provider?: Pick<CredentialDoc, 'oidcSubject' | 'oidcSession'>): Promise<string> {
    const session = newSecret('dbc');
    const now = this.deps.clock.now();
    await this.insertCredential({
      _id: hashSecret(session),
      kind: 'session',
      userId: new Types.ObjectId(userId),
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
      ...(provider?.oidcSubject ? { oidcSubject: provider.oidcSubject } : {}),
      ...(provider?.oidcSession ? { oidcSession: provider.oidcSession } : {}),
    });
    return session;
  }

  /** Ends the sessions begun with one provider session (`<issuer> <sid>`) or, without one, all of a provider subject's; returns how many. */
  async endProviderSessions(by: { oidcSession: string } | { oidcSubject: string }): Promise<number> {
    await this.deps.mirror.sync();
    const [index, key] = 'oidcSession' in by ? ['oidcSession', by.oidcSession] : ['oidcSubject', by.oidcSubject];
    const live = this.deps.mirror.find<CredentialDoc>('credential', index, key).filter((c) => c.kind === 'session' && !c.revokedAt);
    for (const c of live) await this.revoke(c);
    return live.length;
  }

  async authenticateSession(session: string): Promise<UserDoc | undefined> {
    return this.authenticate('session', session);
  }

  /** Ends a browser session; returns it (so sign-out knows whether the provider began it), or undefined for no session. */
  async endSession(session: string): Promise<CredentialDoc | undefined> {
    await this.deps.mirror.sync();
    const doc = this.deps.mirror.get<CredentialDoc>('credential', hashSecret(session));
    if (doc?.kind !== 'session') return undefined;
    return this.revoke(doc);
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

  /** Deletes expired sessions and sign-in links (a job), so the credentials stay as few as the people's tokens. */
  async pruneCredentials(): Promise<{ deleted: number }> {
    await this.deps.mirror.sync();
    const now = this.deps.clock.now();
    const expired = this.deps.mirror.all<CredentialDoc>('credential').filter((c) => c.kind !== 'api' && c.expiresAt && c.expiresAt < now);
    // Announced first, a few hundred to an entry (as any removal), then deleted a batch at a time.
    for (let i = 0; i < expired.length; i += PRUNE_BATCH) {
      const batch = expired.slice(i, i + PRUNE_BATCH);
      await this.deps.records.credentials.remove(batch);
      await Promise.all(batch.map((c) => this.deps.credentialUses.deleteOne({ _id: c._id })));
    }
    return { deleted: expired.length };
  }

  /** Announces, then stores, a new credential. */
  private async insertCredential(fields: Omit<CredentialDoc, 'version'>): Promise<CredentialDoc> {
    return this.deps.records.credentials.insert(fields);
  }

  /** Revokes a credential as a versioned edit; a credential revoked meanwhile stays revoked. */
  private async revoke(doc: CredentialDoc): Promise<CredentialDoc> {
    let current = doc;
    while (!current.revokedAt) {
      const now = this.deps.clock.now();
      const { _id, ...rest } = current;
      const next = { ...rest, revokedAt: now, version: (current.version ?? 0) + 1 };
      if (await this.deps.records.credentials.replace({ ...current, version: current.version ?? 0 }, next, 'system', now)) return { ...next, _id };
      await this.deps.mirror.sync();
      current = this.deps.mirror.get<CredentialDoc>('credential', doc._id) ?? { ...current, revokedAt: now };
    }
    return current;
  }

  private async authenticate(kind: CredentialDoc['kind'], secret: string): Promise<UserDoc | undefined> {
    const now = this.deps.clock.now();
    await this.deps.mirror.sync();
    const cred = this.deps.mirror.get<CredentialDoc>('credential', hashSecret(secret));
    if (!cred || cred.kind !== kind || cred.revokedAt || (cred.expiresAt && cred.expiresAt <= now)) return undefined;
    const user = this.deps.mirror.get<UserDoc>('user', String(cred.userId));
    if (!user || user.disabled) return undefined;
    const lastUsed = this.lastUsed.get(cred._id);
    if (!lastUsed || now.getTime() - lastUsed > LAST_USED_RESOLUTION_MS) {
      // Only a memo of writes made: forgetting it costs one more write per secret.
      if (this.lastUsed.size > 10_000) this.lastUsed.clear();
      this.lastUsed.set(cred._id, now.getTime());
      await this.deps.credentialUses.updateOne({ _id: cred._id }, { $set: { at: now } }, { upsert: true });
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
