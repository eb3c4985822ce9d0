import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { LOCALES } from '../lib/config.js';
import { ROLES, type Role } from './permissions.js';
import { modelOn } from '../lib/db.js';

export interface UserDoc {
  _id: Types.ObjectId;
  email: string;
  name: string;
  role: Role;
  timezone: string;
  locale: string;
  team?: string;
  /** The manager's email, for escalations. */
  manager?: string;
  /** Their identities in chat, for mentions (src/channels/platforms.ts): WeCom user id or mobile, Feishu open_id, DingTalk user id or mobile, Slack member id. */
  chat?: { wecom?: string; feishu?: string; dingtalk?: string; slack?: string };
  passwordHash?: string;
  disabled?: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

// People are found by email through the read model (src/lib/mirror.ts); the unique index keeps two creates of one email apart.
const userSchema = new Schema<UserDoc>(
  {
    email: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    role: { type: String, enum: ROLES, required: true },
    timezone: { type: String, required: true },
    locale: { type: String, enum: LOCALES, required: true },
    team: String,
    manager: String,
    chat: { type: new Schema({ wecom: String, feishu: String, dingtalk: String, slack: String }, { _id: false }), default: undefined },
    passwordHash: String,
    disabled: Boolean,
    version: { type: Number, required: true, default: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/**
 * Secrets a person holds, stored only as SHA-256 hashes of high-entropy random values:
 * API tokens (until revoked), one-time sign-in links, and browser sessions (until they expire).
 * The hash is the _id, so checking a secret on every request is a primary-key read.
 */
export interface CredentialDoc {
  /** SHA-256 of the secret. */
  _id: string;
  kind: 'api' | 'signin' | 'session';
  /** How people and routes name an API token (never the hash). */
  tokenId?: string;
  userId: Types.ObjectId;
  /** First characters of an API token, so a person can tell their tokens apart. */
  prefix?: string;
  name?: string;
  createdAt: Date;
  expiresAt?: Date;
  revokedAt?: Date;
  /** Revoking is a versioned edit (src/lib/revisions.ts), so no concurrent write can undo it. */
  version: number;
  /** A session begun at the identity provider: `<issuer> <sub>`, so the provider's logout can end it. */
  oidcSubject?: string;
  /** The same, by the provider's session: `<issuer> <sid>`, when its ID token named one. */
  oidcSession?: string;
}

/**
 * When a secret was last used (`_id` its hash), apart from the credential: written at most once a
 * minute per secret, by plain upserts, so it never competes with a revocation.
 */
export interface CredentialUseDoc {
  _id: string;
  at: Date;
}

const credentialSchema = new Schema<CredentialDoc>(
  {
    _id: { type: String, required: true },
    kind: { type: String, enum: ['api', 'signin', 'session'], required: true },
    tokenId: String,
    userId: { type: Schema.Types.ObjectId, required: true },
    prefix: String,
    name: String,
    createdAt: { type: Date, required: true },
    expiresAt: Date,
    revokedAt: Date,
    version: { type: Number, default: 0 },
    oidcSubject: String,
    oidcSession: String,
  },
  { versionKey: false },
);
const credentialUseSchema = new Schema<CredentialUseDoc>({ _id: { type: String, required: true }, at: { type: Date, required: true } }, { versionKey: false });

export type UserModel = Model<UserDoc>;
export type CredentialModel = Model<CredentialDoc>;

export function userModel(conn: Connection): UserModel {
  return modelOn<UserDoc>(conn, 'User', userSchema);
}

export function credentialModel(conn: Connection): CredentialModel {
  return modelOn<CredentialDoc>(conn, 'Credential', credentialSchema);
}

export function credentialUseModel(conn: Connection): Model<CredentialUseDoc> {
  return modelOn<CredentialUseDoc>(conn, 'CredentialUse', credentialUseSchema);
}

/**
 * Who a person is at the identity provider: `_id` is `<issuer> <sub>` (the subject never changes,
 * unlike an email), so every sign-in after the first finds the person with one `_id` read.
 */
export interface OidcIdentityDoc {
  _id: string;
  userId: Types.ObjectId;
  createdAt: Date;
}

const oidcIdentitySchema = new Schema<OidcIdentityDoc>(
  { _id: { type: String, required: true }, userId: { type: Schema.Types.ObjectId, required: true }, createdAt: { type: Date, required: true } },
  { versionKey: false },
);

export function oidcIdentityModel(conn: Connection): Model<OidcIdentityDoc> {
  return modelOn<OidcIdentityDoc>(conn, 'OidcIdentity', oidcIdentitySchema);
}
