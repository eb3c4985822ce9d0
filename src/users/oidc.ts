import { createHash } from 'node:crypto';
import { createRemoteJWKSet, EncryptJWT, jwtDecrypt, jwtVerify, type JWTPayload } from 'jose';
import type { Model } from 'mongoose';
import * as client from 'openid-client';
import { SYSTEM_ACTOR } from '../http/actor.js';
import type { Claims } from '../lib/claims.js';
import type { Clock } from '../lib/clock.js';
import type { Config } from '../lib/config.js';
import { isDuplicateKey } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import type { OidcIdentityDoc, UserDoc } from './model.js';
import { ROLES, type Role } from './permissions.js';
import type { UsersService } from './service.js';

/** How long a started sign-in may take at the provider before its flow cookie is refused. */
const FLOW_TTL_SECONDS = 10 * 60;
/** A logout token older than this (by its iat) is refused, so a captured one cannot be replayed later (once its jti is forgotten). */
const LOGOUT_TOKEN_MAX_AGE = '10 minutes';
/** How far the provider's clock may be from ours (openid-client's default for ID tokens). */
const CLOCK_TOLERANCE_SECONDS = 30;
/** The events claim member a back-channel logout token carries (OpenID Connect Back-Channel Logout 1.0, section 2.4). */
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Why a sign-in at the provider did not sign anyone in; `key` names the page's words. */
export class OidcRefusal extends Error {
  constructor(
    readonly key: 'failed' | 'unverified' | 'noEmail' | 'disabled' | 'noRole' | 'unavailable',
    readonly status: number,
    detail: string,
    readonly email?: string,
  ) {
    super(detail);
  }
}

/** A started sign-in: kept encrypted in the browser's cookie until the provider sends the person back. */
interface Flow {
  verifier: string;
  state: string;
  nonce: string;
  next: string;
}

/**
 * The role a person's groups give: the highest of the roles their groups map to, else the `*` entry's,
 * else none (the person gets no access).
 */
export function roleFromGroups(groups: readonly string[], map: readonly { group: string; role: Role }[]): Role | undefined {
  const granted = map.filter((m) => m.group !== '*' && groups.includes(m.group)).map((m) => m.role);
  if (!granted.length) return map.find((m) => m.group === '*')?.role;
  // ROLES lists the roles from most to least powerful.
  return ROLES.find((r) => granted.includes(r));
}

/** The groups in a claim: a list of names, or one name (some providers send a single group as a string). */
function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
}

/**
 * Sign-in with the company's OpenID Connect provider: authorization code with PKCE through
 * openid-client, which makes the discovery and the state, nonce and ID-token checks; people found by
 * their identity (`<issuer> <sub>`) or, the first time, by verified email; roles from groups at every
 * sign-in; and the provider's back-channel logout. See docs/oidc.md.
 */
export class OidcSignIn {
  private server?: Promise<client.Configuration>;
  private jwks?: ReturnType<typeof createRemoteJWKSet>;
  private readonly flowKey: Uint8Array;

  constructor(
    private readonly deps: {
      config: Config & { OIDC_ISSUER: string; OIDC_CLIENT_ID: string; OIDC_CLIENT_SECRET: string };
      users: UsersService;
      identities: Model<OidcIdentityDoc>;
      claims: Claims;
      clock: Clock;
      logger: Logger;
    },
  ) {
    // The flow cookie's key, derived from SESSION_SECRET (the same on every process).
    this.flowKey = createHash('sha256').update(`debrief oidc flow\0${deps.config.SESSION_SECRET}`).digest();
  }

  get issuer(): string {
    return this.deps.config.OIDC_ISSUER;
  }

  /**
   * The client's configuration, with openid-client's notion of now set to the injected clock's.
   * Discovery runs once; a failed one is tried again at the next sign-in.
   */
  private async configuration(): Promise<client.Configuration> {
    const { config } = this.deps;
    this.server ??= client
      .discovery(new URL(config.OIDC_ISSUER), config.OIDC_CLIENT_ID, undefined, client.ClientSecretBasic(config.OIDC_CLIENT_SECRET), {
        // The config refuses http:// issuers except on loopback addresses.
        execute: new URL(config.OIDC_ISSUER).protocol === 'http:' ? [client.allowInsecureRequests] : [],
      })
      .catch((err: unknown) => {
        this.server = undefined;
        throw new OidcRefusal('unavailable', 502, `discovery at ${config.OIDC_ISSUER} failed: ${String(err)}`);
      });
    const discovered = await this.server;
    const skew = Math.round((this.deps.clock.now().getTime() - Date.now()) / 1000);
    const current = new client.Configuration(discovered.serverMetadata(), config.OIDC_CLIENT_ID, { [client.clockSkew]: skew }, client.ClientSecretBasic(config.OIDC_CLIENT_SECRET));
    if (new URL(config.OIDC_ISSUER).protocol === 'http:') client.allowInsecureRequests(current);
    return current;
  }

  /** Where to send the browser to sign in, and the flow cookie's value that lets the callback check the answer. */
  async begin(next: string): Promise<{ url: string; flow: string }> {
    const configuration = await this.configuration();
    const flow: Flow = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce(), next };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.deps.config.OIDC_REDIRECT_URL,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    const now = Math.floor(this.deps.clock.now().getTime() / 1000);
    const sealed = await new EncryptJWT({ ...flow })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(now)
      .setExpirationTime(now + FLOW_TTL_SECONDS)
      .encrypt(this.flowKey);
    return { url: url.href, flow: sealed };
  }

  /**
   * The provider's answer at the redirect URL (`query` its query string) checked against the flow
   * cookie: the person it signs in, their Debrief session, and where they were going.
   */
  async finish(query: string, sealedFlow: string | undefined): Promise<{ user: UserDoc; session: string; next: string }> {
    const flow = await this.openFlow(sealedFlow);
    const configuration = await this.configuration();
    const callback = new URL(this.deps.config.OIDC_REDIRECT_URL);
    callback.search = query;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw this.refusal(err);
    }
    const idToken = tokens.claims()!;
    // Providers differ in what they put in the ID token; the userinfo answer (same subject, checked) adds the rest.
    let claims: Record<string, unknown> = { ...idToken };
    if (configuration.serverMetadata().userinfo_endpoint) {
      try {
        claims = { ...claims, ...(await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub)), iss: idToken.iss, sub: idToken.sub };
      } catch (err) {
        throw this.refusal(err);
      }
    }
    const user = await this.person(claims);
    const session = await this.deps.users.startSession(String(user._id), {
      oidcSubject: `${idToken.iss} ${idToken.sub}`,
      oidcSession: typeof idToken.sid === 'string' ? `${idToken.iss} ${idToken.sid}` : undefined,
    });
    return { user, session, next: flow.next };
  }

  /** The provider's sign-out page for a person leaving Debrief, when the provider offers one. */
  async endSessionUrl(): Promise<string | undefined> {
    let configuration: client.Configuration;
    try {
      configuration = await this.configuration();
    } catch {
      return undefined;
    }
    if (!configuration.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(configuration, { client_id: this.deps.config.OIDC_CLIENT_ID, post_logout_redirect_uri: `${this.deps.config.BASE_URL}/login` }).href;
  }

  /**
   * A back-channel logout token (OpenID Connect Back-Channel Logout 1.0, section 2.6): signed with the
   * provider's keys, for this client, recent, with the logout event, a sid or sub and no nonce, and
   * not seen before. Ends the Debrief sessions of that provider session (or of the subject); returns how many.
   */
  async backchannelLogout(token: string): Promise<number> {
    const configuration = await this.configuration();
    const server = configuration.serverMetadata();
    if (!server.jwks_uri) throw new OidcRefusal('failed', 400, 'the provider publishes no jwks_uri to check logout tokens with');
    this.jwks ??= createRemoteJWKSet(new URL(server.jwks_uri));
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: server.issuer,
        audience: this.deps.config.OIDC_CLIENT_ID,
        algorithms: server.id_token_signing_alg_values_supported ?? ['RS256'],
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: LOGOUT_TOKEN_MAX_AGE,
        // As openid-client allows for ID tokens: the provider's clock and ours may differ a little.
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: this.deps.clock.now(),
      }));
    } catch (err) {
      throw new OidcRefusal('failed', 400, `logout token refused: ${(err as Error).message}`);
    }
    const events = payload.events as Record<string, unknown> | undefined;
    if (typeof events?.[BACKCHANNEL_LOGOUT_EVENT] !== 'object' || events[BACKCHANNEL_LOGOUT_EVENT] === null) {
      throw new OidcRefusal('failed', 400, `logout token refused: its events claim has no ${BACKCHANNEL_LOGOUT_EVENT} member`);
    }
    if ('nonce' in payload) throw new OidcRefusal('failed', 400, 'logout token refused: it carries a nonce (an ID token, not a logout token)');
    const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
    if (!sid && typeof payload.sub !== 'string') throw new OidcRefusal('failed', 400, 'logout token refused: it names neither a sid nor a sub');
    // Each token ends sessions once: a second delivery of the same jti is a replay.
    if (!(await this.deps.claims.claim(`oidc-logout:${server.issuer} ${String(payload.jti)}`, 'oidc', this.deps.clock.now()))) {
      throw new OidcRefusal('failed', 400, 'logout token refused: already used (replayed jti)');
    }
    return this.deps.users.endProviderSessions(sid ? { oidcSession: `${server.issuer} ${sid}` } : { oidcSubject: `${server.issuer} ${String(payload.sub)}` });
  }

  private async openFlow(sealed: string | undefined): Promise<Flow> {
    if (!sealed) throw new OidcRefusal('failed', 400, 'no sign-in was started in this browser (its cookie is missing)');
    try {
      const { payload } = await jwtDecrypt(sealed, this.flowKey, { currentDate: this.deps.clock.now() });
      return payload as unknown as Flow;
    } catch (err) {
      throw new OidcRefusal('failed', 400, `the sign-in started in this browser is expired or damaged: ${(err as Error).message}`);
    }
  }

  /** openid-client's refusals (state, nonce, audience, expiry, a used code…) as a 400; the provider unreachable as a 502. */
  private refusal(err: unknown): OidcRefusal {
    if (err instanceof OidcRefusal) return err;
    // openid-client's own message is general ("unexpected JWT claim value encountered"); its cause names the check that failed.
    const reason =
      err instanceof client.ResponseBodyError
        ? `${err.error}: ${err.error_description ?? ''}`
        : err instanceof Error
          ? (err.cause instanceof Error ? err.cause : err).message
          : String(err);
    if (err instanceof TypeError && /fetch failed/.test(err.message)) return new OidcRefusal('unavailable', 502, reason);
    this.deps.logger.warn({ err }, 'OIDC sign-in refused');
    return new OidcRefusal('failed', 400, reason);
  }

  /**
   * The person the provider vouches for: found by identity, or the first time by verified email (made
   * if new), with the role their groups give now.
   */
  private async person(claims: Record<string, unknown>): Promise<UserDoc> {
    const { users, identities, config, clock } = this.deps;
    const identityId = `${String(claims.iss)} ${String(claims.sub)}`;
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    const role = roleFromGroups(groupsOf(claims[config.OIDC_GROUPS_CLAIM]), config.OIDC_ROLE_MAP);
    const known = await identities.findById(identityId).lean<OidcIdentityDoc>();
    let user = known ? await users.find(String(known.userId)).catch(() => undefined) : undefined;
    if (!user) {
      if (!email) throw new OidcRefusal('noEmail', 403, 'the provider sent no email claim');
      // An unverified email could be anyone's: it neither matches nor makes a person.
      if (claims.email_verified !== true) throw new OidcRefusal('unverified', 403, `email ${email} is not verified at the provider`, email);
      user = (await users.byEmail([email])).get(email);
      if (user?.disabled) throw new OidcRefusal('disabled', 403, `${email} is disabled in Debrief`, email);
      if (!role) throw new OidcRefusal('noRole', 403, `no group of ${email} is in OIDC_ROLE_MAP`, email);
      if (!user) {
        const name = [claims.name, claims.preferred_username].find((n): n is string => typeof n === 'string' && n.trim() !== '')?.trim().slice(0, 200) ?? email;
        const made = await users.create({ email, name, role }, { email: 'oidc@debrief.local' }).catch(async (err: unknown) => {
          // Two first sign-ins at once: the other made the person.
          if ((await users.byEmail([email])).get(email)) return undefined;
          throw err;
        });
        user = await users.find(made?.id ?? email);
      }
      try {
        await identities.create({ _id: identityId, userId: user._id, createdAt: clock.now() });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    if (user.disabled) throw new OidcRefusal('disabled', 403, `${user.email} is disabled in Debrief`, user.email);
    if (!role) throw new OidcRefusal('noRole', 403, `no group of ${user.email} is in OIDC_ROLE_MAP`, user.email);
    if (user.role !== role) {
      // Groups decide: a group removed at the provider takes its role away at this sign-in.
      await users.update(user.email, { version: user.version, role }, { email: SYSTEM_ACTOR.email });
      user = await users.find(user.email);
    }
    return user;
  }
}
