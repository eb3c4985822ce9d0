import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { LOCALES } from '../lib/config.js';
import { ROLES, type Role } from './permissions.js';

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
  lastUsedAt?: Date;
  expiresAt?: Date;
  revokedAt?: Date;
}

const credentialSchema = new Schema<CredentialDoc>(
  {
    _id: { type: String, required: true },
    kind: { type: String, enum: ['api', 'signin', 'session'], required: true },
    tokenId: String,
    userId: { type: Schema.Types.ObjectId, required: true, index: true },
    prefix: String,
    name: String,
    createdAt: { type: Date, required: true },
    lastUsedAt: Date,
    expiresAt: Date,
    revokedAt: Date,
  },
  { versionKey: false },
);

export type UserModel = Model<UserDoc>;
export type CredentialModel = Model<CredentialDoc>;

export function userModel(conn: Connection): UserModel {
  return (conn.models.User as UserModel | undefined) ?? conn.model<UserDoc>('User', userSchema);
}

export function credentialModel(conn: Connection): CredentialModel {
  return (conn.models.Credential as CredentialModel | undefined) ?? conn.model<CredentialDoc>('Credential', credentialSchema);
}
