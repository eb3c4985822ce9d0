import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { emailAddress, timeZone } from './formats.js';
import { DEFAULT_STORE_SYNC, STORE_SYNC } from './embedded-store.js';
import { ROLES, type Role } from './roles.js';
import { LOG_FORMATS } from './logger.js';

/** Hosts on which an http:// identity provider is accepted (a provider on the same machine: tests, trials). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const zone = timeZone();

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

const days = (fallback: number) => z.coerce.number().int().min(1).max(3650).default(fallback);

/** Every variable the service reads; `.env.example` lists the same ones. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  BASE_URL: z.url().optional(),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Templates that add to or replace the built-in ones (same layout as templates/). */
  TEMPLATES_DIR: z
    .string()
    .refine((v) => statSync(v, { throwIfNoEntry: false })?.isDirectory() === true, 'not a directory')
    .optional(),
  FERRETDB_BIN: z.string().min(1).optional(),
  /** When the embedded store makes a write durable (src/lib/embedded-store.ts). */
  EMBEDDED_STORE_SYNC: z.enum(STORE_SYNC).default(DEFAULT_STORE_SYNC),
  DEFAULT_TIMEZONE: zone.default('Asia/Shanghai'),
  DEFAULT_LOCALE: z.enum(LOCALES).default('zh-CN'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** pretty (readable lines) or json (one JSON record a line); unset: pretty when stdout is a terminal. */
  LOG_FORMAT: z.enum(LOG_FORMATS).optional(),
  SEED_DEMO: bool.default(true),
  SEVERITY_LEVELS: z
    .string()
    .default('A,B,C,D,E')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .refine((v) => v.length > 0 && new Set(v).size === v.length, 'a comma-separated list of distinct levels'),
  /**
   * How the import reads a written level: pairs like CD=C,P1=B,一=A,stability=E (`stability`: a
   * 生产稳定性事件 without one). Unset, a level of SEVERITY_LEVELS reads as itself (docs/import-grammar.md).
   */
  IMPORT_LEVELS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const pairs = v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.split('=').map((p) => p.trim()));
      if (pairs.some((p) => p.length !== 2 || !/^(?:[A-Za-z]{1,2}\d?|[一二三四五]|stability)$/.test(p[0]!) || !p[1])) {
        ctx.addIssue({ code: 'custom', message: 'a list like CD=C,P1=B,一=A,stability=E (a level as written before 级, = a severity)' });
      }
      return Object.fromEntries(pairs.map(([said, level]) => [said === 'stability' ? said : said!.toUpperCase(), level!]));
    }),
  ACTION_SLA_DAYS_HIGH: days(28),
  ACTION_SLA_DAYS_MEDIUM: days(56),
  ACTION_SLA_DAYS_LOW: days(90),
  ADMIN_EMAIL: emailAddress().default('admin@localhost'),
  /** Signs CSRF tokens; set it (and keep it) in production. Unset: a random one per process. */
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(10000),
  /** The read model is saved under DATA_DIR this often (and at shutdown) so a restart need not read every record; 0: never. */
  READ_MODEL_SNAPSHOT_MINUTES: z.coerce.number().int().min(0).max(1440).default(10),
  /** Requests worked on at once; more wait their turn (see src/http/admission.ts). */
  MAX_CONCURRENT_REQUESTS: z.coerce.number().int().min(1).max(1000).default(3),
  /** Requests waiting beyond this many are answered 503 at once. */
  MAX_WAITING_REQUESTS: z.coerce.number().int().min(0).max(100_000).default(1000),
  // Email and reminders (see docs/reminders.md).
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Debrief <debrief@localhost>'),
  LINK_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  LINK_TTL_DAYS: days(14),
  REMIND_BEFORE_DAYS: z
    .string()
    .default('3,0')
    .transform((v) => v.split(',').map((s) => Number(s.trim())))
    .refine((v) => v.every((n) => Number.isInteger(n) && n >= 0 && n <= 365), 'a comma-separated list of whole days (0 = the due date)'),
  REMIND_OVERDUE_EVERY_DAYS: days(7),
  ESCALATE_AFTER_DAYS: days(14),
  DIGEST_HOUR: z.coerce.number().int().min(0).max(23).default(9),
  DIGEST_SECTION_ITEMS: z.coerce.number().int().min(1).max(500).default(15),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  OUTBOX_RETRY_SECONDS: z.coerce.number().int().min(1).max(86400).default(60),
  OUTBOX_LEASE_SECONDS: z.coerce.number().int().min(10).max(86400).default(600),
  RUN_WORKER: bool.default(true),
  // Chat channels (docs/chat.md).
  /** Encrypts channel secrets and robot addresses at rest (AES-256-GCM): 32 bytes as 64 hex digits or base64. */
  CHANNEL_SECRET_KEY: z
    .string()
    .refine((v) => channelKeyBytes(v) !== undefined, 'must be 32 bytes: 64 hex digits or 44 base64 characters (openssl rand -base64 32)')
    .optional(),
  /** How long a chat platform may take to answer one post before the attempt counts as failed. */
  CHANNEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  // Reports (see docs/reports.md).
  /** iso: ISO 8601 weeks; jan1: Monday-start weeks, the one holding 1 January is week 1 (ISO + 1 in 2023). */
  WEEK_NUMBERING: z.enum(['iso', 'jan1']).default('iso'),
  /** The days a week's report covers; unset: mon-sun with iso, sun-sat (the Sunday before the week's Monday to its Saturday) with jan1. */
  REPORT_WEEK_DAYS: z.enum(['mon-sun', 'sun-sat']).optional(),
  /** Systems whose availability is reported: `name=service,service;name=…`; an incident costs a system when it is customer-facing and names one of its services. */
  AVAILABILITY_SYSTEMS: z
    .string()
    .default('支付系统=payment')
    .transform((v, ctx) => {
      const systems = v.split(';').map((s) => s.trim()).filter(Boolean).map((s) => {
        const [name, services] = s.split('=');
        return { name: name?.trim() ?? '', services: (services ?? '').split(',').map((x) => x.trim()).filter(Boolean) };
      });
      if (systems.some((s) => !s.name || !s.services.length)) ctx.addIssue({ code: 'custom', message: 'a list like 支付系统=payment-gateway,payment-core;清结算=settlement' });
      return systems;
    }),
  /** Availability target in percent, e.g. 99.95. */
  AVAILABILITY_TARGET: z.coerce.number().min(0).max(100).default(99.95),
  /** How long one rendering (document, preview, email, page) may take, and how many characters it may produce. */
  RENDER_TIME_LIMIT_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  RENDER_OUTPUT_LIMIT: z.coerce.number().int().min(10_000).max(100_000_000).default(1_000_000),
  // Sign-in with the company's OpenID Connect provider (docs/oidc.md).
  /** The provider's issuer URL (discovery reads <issuer>/.well-known/openid-configuration); https, or http on a loopback address. */
  OIDC_ISSUER: z
    .url()
    .refine((v) => new URL(v).protocol === 'https:' || (new URL(v).protocol === 'http:' && LOOPBACK.has(new URL(v).hostname)), 'must be https:// (http:// only on localhost)')
    .optional(),
  OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).max(2000).optional(),
  /** Where the provider sends people back; unset: <BASE_URL>/auth/oidc/callback. */
  OIDC_REDIRECT_URL: z.url().optional(),
  /** The provider's name on the login page's button ("Sign in with …"). */
  OIDC_PROVIDER_NAME: z.string().min(1).max(60).default('single sign-on'),
  /** The claim (in the ID token or the userinfo answer) that lists a person's groups. */
  OIDC_GROUPS_CLAIM: z.string().min(1).max(200).default('groups'),
  /** group=role pairs, e.g. sre-leads=admin,sre=editor,*=viewer; the highest role of a person's groups wins, * is everyone else. */
  OIDC_ROLE_MAP: z
    .string()
    .default('*=viewer')
    .transform((v, ctx) => {
      const pairs = v.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
        const at = s.lastIndexOf('=');
        return { group: s.slice(0, at).trim(), role: s.slice(at + 1).trim() as Role };
      });
      if (!pairs.length || pairs.some((p) => !p.group || !ROLES.includes(p.role))) {
        ctx.addIssue({ code: 'custom', message: `a list like sre-leads=admin,sre=editor,*=viewer (roles: ${ROLES.join(', ')})` });
      }
      return pairs;
    }),
  /** false: no password sign-in (only the provider, sign-in links and API tokens); needs OIDC_ISSUER. */
  PASSWORD_SIGN_IN: bool.default(true),
  /** Whether someone who filed or edited an incident may still review (approve) its postmortem. */
  REVIEW_EDITORS_MAY_REVIEW: bool.default(false),
});

export type Env = z.infer<typeof envSchema>;

/** CHANNEL_SECRET_KEY's 32 bytes, or undefined when it does not hold exactly 32. */
export function channelKeyBytes(text: string): Buffer | undefined {
  const bytes = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  return bytes.length === 32 ? bytes : undefined;
}

/** The names of every variable the service reads. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

export interface Config extends Omit<Env, 'BASE_URL' | 'SESSION_SECRET' | 'REPORT_WEEK_DAYS' | 'OIDC_REDIRECT_URL'> {
  BASE_URL: string;
  OIDC_REDIRECT_URL: string;
  REPORT_WEEK_DAYS: 'mon-sun' | 'sun-sat';
  SESSION_SECRET: string;
  /** True when SESSION_SECRET was not set and a random one is used. */
  ephemeralSecret: boolean;
}

export class ConfigError extends Error {}

/** Reads `.env` in the working directory when there is one; variables already set keep their values. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Reads and checks the environment once; the message names the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(blankless);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production' && !c.SESSION_SECRET) {
    throw new ConfigError('Invalid configuration: SESSION_SECRET="": required when NODE_ENV=production');
  }
  const oidcParts = [c.OIDC_ISSUER, c.OIDC_CLIENT_ID, c.OIDC_CLIENT_SECRET].filter(Boolean).length;
  if (oidcParts > 0 && oidcParts < 3) {
    const missing = (['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const).find((k) => !c[k])!;
    throw new ConfigError(`Invalid configuration: ${missing}="": required with the other OIDC_ variables (issuer, client id and secret go together)`);
  }
  if (!c.PASSWORD_SIGN_IN && !c.OIDC_ISSUER) {
    throw new ConfigError('Invalid configuration: PASSWORD_SIGN_IN="false": needs OIDC_ISSUER, or nobody could sign in with a password or the provider');
  }
  const unknownLevel = Object.entries(c.IMPORT_LEVELS).find(([, level]) => !c.SEVERITY_LEVELS.includes(level));
  if (unknownLevel) {
    throw new ConfigError(`Invalid configuration: IMPORT_LEVELS=${JSON.stringify(env.IMPORT_LEVELS)}: ${unknownLevel.join('=')} names no level of SEVERITY_LEVELS (${c.SEVERITY_LEVELS.join(',')})`);
  }
  const baseUrl = (c.BASE_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, '');
  return {
    ...c,
    OIDC_REDIRECT_URL: c.OIDC_REDIRECT_URL ?? `${baseUrl}/auth/oidc/callback`,
    REPORT_WEEK_DAYS: c.REPORT_WEEK_DAYS ?? (c.WEEK_NUMBERING === 'jan1' ? 'sun-sat' : 'mon-sun'),
    BASE_URL: baseUrl,
    SESSION_SECRET: c.SESSION_SECRET ?? randomBytes(32).toString('hex'),
    ephemeralSecret: !c.SESSION_SECRET,
  };
}
