import { expect } from 'chai';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import supertest from 'supertest';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { SESSION_COOKIE } from '../../src/http/auth.js';
import { loadConfig } from '../../src/lib/config.js';
import { roleFromGroups } from '../../src/users/oidc.js';
import { createTestContext, type TestContext } from '../support/context.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CLIENT_ID = 'debrief-test';
const CLIENT_SECRET = 'a-client-secret-only-this-test-knows';
const ROLE_MAP = 'sre-leads=admin,sre=editor,*=viewer';
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** The provider's people, by login (devInteractions signs in whoever's login is typed); the test edits their groups. */
interface TestPerson {
  email: string;
  email_verified: boolean;
  name: string;
  groups: string[];
}

/** An http server on a loopback port whose handler is set later (the provider and Debrief each need the other's address). */
async function loopback(): Promise<{ server: Server; base: string; handle(h: RequestListener): void }> {
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handle: (h) => (handler = h) };
}

describe('sign-in with an OpenID Connect provider (oidc-provider on loopback, Chromium)', function () {
  this.timeout(60_000);
  let t: TestContext;
  let idp: Awaited<ReturnType<typeof loopback>>;
  let debrief: Awaited<ReturnType<typeof loopback>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let signingKey: { privateKey: CryptoKey; jwk: JWK };
  /** When set, the provider's token endpoint answers with an ID token for this audience instead (re-signed with its own key). */
  let forgeAudience: string | undefined;
  const people = new Map<string, TestPerson>();

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`\n    SKIPPED: Chromium is missing at ${CHROMIUM} (apt-get install -y chromium); OIDC browser tests skipped\n`);
      this.skip();
    }
    idp = await loopback();
    debrief = await loopback();
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    signingKey = { privateKey: privateKey as CryptoKey, jwk: { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' } };
    const provider = new Provider(idp.base, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${debrief.base}/auth/oidc/callback`],
          post_logout_redirect_uris: [`${debrief.base}/login`],
          backchannel_logout_uri: `${debrief.base}/auth/oidc/backchannel-logout`,
          backchannel_logout_session_required: true,
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: [signingKey.jwk] },
      ttl: { IdToken: 60 },
      cookies: { keys: ['cookie key of the test provider'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
      features: { devInteractions: { enabled: true }, backchannelLogout: { enabled: true }, rpInitiatedLogout: { enabled: true } },
      // Its guard against posting to private addresses would keep it from Debrief's loopback back-channel URI.
      fetch: (url, options) => globalThis.fetch(url, { ...options, dispatcher: undefined } as RequestInit),
      findAccount: (_ctx, id) => {
        const person = people.get(id);
        return person ? { accountId: id, claims: () => ({ sub: id, ...person }) } : undefined;
      },
    });
    provider.use(async (ctx, next) => {
      await next();
      const body = ctx.body as { id_token?: string } | undefined;
      if (forgeAudience && ctx.path === '/token' && body?.id_token) {
        body.id_token = await new SignJWT({ ...decodeJwt(body.id_token), aud: forgeAudience, azp: forgeAudience }).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(signingKey.privateKey);
      }
    });
    idp.handle(provider.callback());
    t = await createTestContext('users_oidc', {
      DEFAULT_LOCALE: 'en',
      BASE_URL: debrief.base,
      OIDC_ISSUER: idp.base,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_PROVIDER_NAME: 'Test IdP',
      OIDC_ROLE_MAP: ROLE_MAP,
    });
    debrief.handle(t.app);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });

  beforeEach(async () => {
    forgeAudience = undefined;
    // The provider stamps its tokens with the real time; Debrief's clock starts each test there, and tests move it.
    t.clock.set(new Date());
    context = await browser.newContext({ baseURL: debrief.base, locale: 'en-US' });
    page = await context.newPage();
  });
  afterEach(() => context?.close());
  after(async () => {
    await browser?.close();
    for (const s of [idp?.server, debrief?.server]) await new Promise((resolve) => s?.close(resolve));
    await t?.close();
  });

  /** From Debrief's login page through the provider's sign-in (and consent the first time). */
  async function throughProvider(login: string): Promise<void> {
    await page.goto('/login');
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.waitForURL(`${idp.base}/**`);
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL((url) => url.href.startsWith(debrief.base) || url.pathname.startsWith('/interaction/'));
    if (new URL(page.url()).pathname.startsWith('/interaction/')) {
      const consent = page.getByRole('button', { name: 'Continue' });
      if (await consent.count()) await consent.click();
    }
  }

  /** Signs in at the provider but stops the browser at Debrief's callback: its URL and the cookies it sends there. */
  async function callbackOf(login: string): Promise<{ url: string; cookie: string }> {
    let caught: { url: string; cookie: string } | undefined;
    // The callback is the end of the provider's redirects, which the browser's request routing does not see; Debrief's server does.
    debrief.handle((req, res) => {
      if (!req.url?.startsWith('/auth/oidc/callback')) return t.app(req, res);
      caught = { url: `${debrief.base}${req.url}`, cookie: req.headers.cookie ?? '' };
      res.writeHead(204).end();
    });
    try {
      await throughProvider(login);
      await page.waitForURL(() => caught !== undefined);
    } finally {
      debrief.handle(t.app);
    }
    expect(caught!.url, 'the provider sent the browser back').to.match(/\/auth\/oidc\/callback\?code=/);
    expect(caught!.cookie, 'the flow cookie').to.include('debrief_oidc_flow=');
    return caught!;
  }

  /** What Debrief answers that callback, as the browser would send it. */
  async function callback(url: string, cookie: string) {
    const res = await fetch(url, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
    return { status: res.status, text: await res.text(), location: res.headers.get('location'), setCookie: res.headers.get('set-cookie') ?? '' };
  }

  it('a new person signs in from the login page and lands with the role their groups give; a removed group loses its role at the next sign-in', async () => {
    people.set('lena', { email: 'Lena@Example.com', email_verified: true, name: 'Lena Sørensen', groups: ['sre', 'sre-leads'] });
    await throughProvider('lena');
    await page.waitForURL(`${debrief.base}/`);
    expect(await page.locator('header').innerText()).to.include('Lena Sørensen (admin)');
    const lena = await t.services.users.find('lena@example.com');
    expect(lena.role).to.equal('admin');
    expect(lena.passwordHash).to.equal(undefined);

    // Out of sre-leads at the provider: an editor from the next sign-in on, the same person (not a second one).
    people.get('lena')!.groups = ['sre'];
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${idp.base}/**`);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${debrief.base}/login`);
    await throughProvider('lena');
    await page.waitForURL(`${debrief.base}/`);
    expect(await page.locator('header').innerText()).to.include('Lena Sørensen (editor)');
    expect((await t.services.users.find('lena@example.com')).role).to.equal('editor');
    expect((await t.services.users.list()).filter((u) => u.email === 'lena@example.com')).to.have.length(1);
    // An editor may not read the people list any more (an admin may).
    expect((await context.request.get('/api/v1/users')).status()).to.equal(403);

    // Out of every group: the * entry's viewer.
    people.get('lena')!.groups = [];
    await context.clearCookies();
    await throughProvider('lena');
    await page.waitForURL(`${debrief.base}/`);
    expect(await page.locator('header').innerText()).to.include('Lena Sørensen (viewer)');
  });

  it('matches a person Debrief already has by verified email, and keeps a disabled one out', async () => {
    const made = await t.services.users.create({ email: 'omar@example.com', name: 'Omar', role: 'reviewer' }, SYSTEM_ACTOR);
    people.set('omar-at-idp', { email: 'omar@example.com', email_verified: true, name: 'Omar K.', groups: ['sre'] });
    await throughProvider('omar-at-idp');
    await page.waitForURL(`${debrief.base}/`);
    const omar = await t.services.users.find('omar@example.com');
    expect(String(omar._id)).to.equal(made.id);
    expect(omar.role).to.equal('editor');

    await t.services.users.update('omar@example.com', { version: omar.version, disabled: true }, SYSTEM_ACTOR);
    await context.clearCookies();
    const { url, cookie } = await callbackOf('omar-at-idp');
    const refused = await callback(url, cookie);
    expect(refused.status).to.equal(403);
    expect(refused.text).to.include('Your Debrief account omar@example.com is disabled.');
    expect(refused.setCookie).to.not.include(`${SESSION_COOKIE}=`);
  });

  it('refuses an unverified email with a page saying so, and makes nobody', async () => {
    people.set('mallory', { email: 'ceo@example.com', email_verified: false, name: 'Not the CEO', groups: ['sre-leads'] });
    await throughProvider('mallory');
    await page.waitForURL(`${debrief.base}/auth/oidc/callback**`);
    expect(await page.locator('main, body').first().innerText()).to.include('Your email address ceo@example.com is not verified at Test IdP');
    expect((await context.cookies(debrief.base)).map((c) => c.name)).to.not.include(SESSION_COOKIE);
    expect((await t.services.users.byEmail(['ceo@example.com'])).size).to.equal(0);
  });

  it('refuses a wrong state, a replayed code, a wrong audience and an expired ID token', async () => {
    people.set('kim', { email: 'kim@example.com', email_verified: true, name: 'Kim', groups: ['sre'] });

    // A state that is not the one this browser's sign-in started with.
    const first = await callbackOf('kim');
    const wrongState = new URL(first.url);
    wrongState.searchParams.set('state', 'a-state-from-someone-else');
    const badState = await callback(wrongState.href, first.cookie);
    expect(badState.status).to.equal(400);
    expect(badState.text).to.include('The sign-in with Test IdP could not be completed: unexpected &quot;state&quot;');
    expect(badState.setCookie).to.not.include(`${SESSION_COOKIE}=`);
    // No flow cookie at all (a link from someone else's sign-in).
    expect((await callback(first.url, '')).status).to.equal(400);

    // The same answer twice: the first signs in, the replay is refused by the provider (the code is spent).
    await context.clearCookies();
    const second = await callbackOf('kim');
    const ok = await callback(second.url, second.cookie);
    expect(ok.status).to.equal(303);
    expect(ok.setCookie).to.include(`${SESSION_COOKIE}=`);
    const replay = await callback(second.url, second.cookie);
    expect(replay.status).to.equal(400);
    expect(replay.text).to.include('invalid_grant');

    // An ID token made out to another client.
    await context.clearCookies();
    const third = await callbackOf('kim');
    forgeAudience = 'some-other-client';
    const wrongAud = await callback(third.url, third.cookie);
    expect(wrongAud.status).to.equal(400);
    expect(wrongAud.text).to.include('unexpected JWT &quot;aud&quot; (audience) claim value');
    forgeAudience = undefined;

    // Five minutes later by Debrief's clock (the sign-in itself may take ten), the ID token (valid a minute) has expired.
    await context.clearCookies();
    const fourth = await callbackOf('kim');
    const realNow = t.clock.now();
    t.clock.advance(5 * 60_000);
    try {
      const late = await callback(fourth.url, fourth.cookie);
      expect(late.status).to.equal(400);
      expect(late.text).to.include('&quot;exp&quot;');
    } finally {
      t.clock.set(realNow);
    }
  });

  it('the provider ending its session (back-channel logout) ends the Debrief session it began', async () => {
    people.set('ines', { email: 'ines@example.com', email_verified: true, name: 'Ines', groups: ['sre'] });
    await throughProvider('ines');
    await page.waitForURL(`${debrief.base}/`);
    expect((await page.goto('/'))!.status()).to.equal(200);

    // Signed out at the provider (from another application, say): Debrief hears of it server to server.
    await page.goto(`${idp.base}/session/end?client_id=${CLIENT_ID}`);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((url) => url.href.startsWith(idp.base) && !url.pathname.startsWith('/session/end/confirm'));
    await page.goto('/');
    expect(new URL(page.url()).pathname).to.equal('/login');
  });

  describe('logout tokens', () => {
    const issuedAt = () => Math.floor(t.clock.now().getTime() / 1000);
    const logoutToken = (claims: Record<string, unknown>, key: CryptoKey = signingKey.privateKey) =>
      new SignJWT({ iss: idp.base, aud: CLIENT_ID, iat: issuedAt(), jti: `jti-${Math.random()}`, events: { [LOGOUT_EVENT]: {} }, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'logout+jwt' })
        .sign(key);
    const post = (token: string) => supertest(t.app).post('/auth/oidc/backchannel-logout').type('form').send({ logout_token: token });

    async function providerSession(sid: string): Promise<string> {
      const user = await t.services.users.create({ email: `${sid}@example.com`, name: sid, role: 'viewer' }, SYSTEM_ACTOR);
      return t.services.users.startSession(user.id, { oidcSubject: `${idp.base} ${sid}-sub`, oidcSession: `${idp.base} ${sid}` });
    }
    const alive = async (session: string) => (await t.services.users.authenticateSession(session)) !== undefined;

    it('ends the sessions of the named sid once; a replay of the same token is refused', async () => {
      const session = await providerSession('sid-a');
      const other = await providerSession('sid-b');
      const token = await logoutToken({ sid: 'sid-a', sub: 'sid-a-sub' });
      await post(token).expect(200);
      expect(await alive(session)).to.equal(false);
      expect(await alive(other)).to.equal(true);
      const replay = await post(token).expect(400);
      expect(replay.body.error_description).to.include('replayed');
    });

    it('with only a sub, ends every session of that subject', async () => {
      const session = await providerSession('sid-c');
      await post(await logoutToken({ sub: 'sid-c-sub' })).expect(200);
      expect(await alive(session)).to.equal(false);
    });

    it('refuses a token with a bad signature, issuer, audience, age, events, nonce or no sid/sub, and ends nothing', async () => {
      const session = await providerSession('sid-d');
      const { privateKey: stranger } = await generateKeyPair('RS256');
      const cases: [string, Promise<string>, RegExp][] = [
        ['signed by another key', logoutToken({ sid: 'sid-d' }, stranger as CryptoKey), /signature/],
        ['another issuer', logoutToken({ sid: 'sid-d', iss: 'https://idp.elsewhere.example' }), /iss/],
        ['another audience', logoutToken({ sid: 'sid-d', aud: 'some-other-client' }), /aud/],
        ['issued an hour ago', logoutToken({ sid: 'sid-d', iat: issuedAt() - 3600 }), /iat|age|timestamp/],
        ['without the logout event', logoutToken({ sid: 'sid-d', events: { 'http://example.com/other': {} } }), /events/],
        ['with a nonce (an ID token)', logoutToken({ sid: 'sid-d', nonce: 'n' }), /nonce/],
        ['naming neither sid nor sub', logoutToken({}), /neither a sid nor a sub/],
      ];
      for (const [what, token, reason] of cases) {
        const res = await post(await token).expect(400);
        expect(res.body.error_description, what).to.match(reason);
      }
      await supertest(t.app).post('/auth/oidc/backchannel-logout').type('form').send({}).expect(400);
      expect(await alive(session)).to.equal(true);
    });
  });
});

describe('OIDC configuration and the role map', () => {
  const oidc = { OIDC_ISSUER: 'https://login.example.com/realms/corp', OIDC_CLIENT_ID: 'debrief', OIDC_CLIENT_SECRET: 'secret' };

  it('the highest role of a person\'s groups wins, * is everyone else, and without * an unlisted person gets none', () => {
    const map = loadConfig({ ...oidc, OIDC_ROLE_MAP: ROLE_MAP }).OIDC_ROLE_MAP;
    expect(roleFromGroups(['sre', 'sre-leads'], map)).to.equal('admin');
    expect(roleFromGroups(['sre'], map)).to.equal('editor');
    expect(roleFromGroups(['marketing'], map)).to.equal('viewer');
    const strict = loadConfig({ ...oidc, OIDC_ROLE_MAP: 'sre=editor' }).OIDC_ROLE_MAP;
    expect(roleFromGroups(['marketing'], strict)).to.equal(undefined);
  });

  it('refuses a half-set provider, an http issuer off loopback, a bad role map, and passwords off without a provider', () => {
    expect(() => loadConfig({ OIDC_ISSUER: oidc.OIDC_ISSUER })).to.throw(/OIDC_CLIENT_ID="": required/);
    expect(() => loadConfig({ ...oidc, OIDC_ISSUER: 'http://login.example.com' })).to.throw(/OIDC_ISSUER=.*https/);
    expect(() => loadConfig({ ...oidc, OIDC_ROLE_MAP: 'sre=owner' })).to.throw(/OIDC_ROLE_MAP=.*roles: admin, editor, reviewer, viewer/);
    expect(() => loadConfig({ PASSWORD_SIGN_IN: 'false' })).to.throw(/PASSWORD_SIGN_IN="false": needs OIDC_ISSUER/);
    expect(loadConfig({ ...oidc, PASSWORD_SIGN_IN: 'false', BASE_URL: 'https://debrief.example.com' }).OIDC_REDIRECT_URL).to.equal('https://debrief.example.com/auth/oidc/callback');
  });
});

describe('PASSWORD_SIGN_IN=false', function () {
  this.timeout(60_000);
  let t: TestContext;
  before(async () => {
    t = await createTestContext('users_oidc_no_passwords', {
      DEFAULT_LOCALE: 'en',
      OIDC_ISSUER: 'http://127.0.0.1:9/never-asked',
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_PROVIDER_NAME: 'Corp SSO',
      PASSWORD_SIGN_IN: 'false',
    });
    const pat = await t.services.users.create({ email: 'pat@example.com', name: 'Pat', role: 'editor' }, SYSTEM_ACTOR);
    await t.services.users.setPassword(pat.id, 'a password from before', SYSTEM_ACTOR);
  });
  after(() => t.close());

  it('the login page has only the provider\'s button; password sign-in and reset are refused; links and API tokens still work', async () => {
    const agent = supertest.agent(t.app);
    const login = await agent.get('/login').expect(200);
    expect(login.text).to.include('Sign in with Corp SSO').and.include('href="/auth/oidc/start?next=%2F"').and.not.include('type="password"');
    // The one-time link's page has a form, so its token makes the password post below pass CSRF: the refusal is the password's.
    const token = await t.services.users.issueSignInLink('pat@example.com');
    const confirm = await agent.get(`/login/link?token=${encodeURIComponent(token)}`).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(confirm.text)![1];
    // A refused page form is shown again at its own address (post-redirect-get), with no session given.
    const posted = await agent.post('/login').type('form').send({ _csrf: csrf, email: 'pat@example.com', password: 'a password from before' }).expect(303);
    expect(String(posted.headers['set-cookie'] ?? '')).to.not.include(`${SESSION_COOKIE}=`);
    const refused = await agent.get(posted.headers.location!).expect(404);
    expect(refused.text).to.include('Passwords are turned off here: sign in with Corp SSO.');
    await agent.get('/login/reset').expect(404);

    // The link signs in (to home: there is no password to set), and an API token reads the API.
    const used = await agent.post('/login/link').type('form').send({ _csrf: csrf, token }).expect(303);
    expect(used.headers.location).to.equal('/');
    expect((await agent.get('/account/password').expect(404)).text).to.include('Passwords are turned off here: sign in with Corp SSO.');
    const viewer = await t.as('viewer');
    await viewer.get('/api/v1/me').expect(200);
  });

  it('a provider that cannot be reached is a 502 page, not a 500', async () => {
    const res = await supertest(t.app).get('/auth/oidc/start').set('accept', 'text/html').expect(502);
    expect(res.text).to.include('Corp SSO could not be reached');
  });
});
