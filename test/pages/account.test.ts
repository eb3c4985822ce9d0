import { expect } from 'chai';
import supertest from 'supertest';
import { SYSTEM_ACTOR } from '../../src/http/actor.js';
import { SESSION_COOKIE } from '../../src/http/auth.js';
import { createTestContext, type TestContext } from '../support/context.js';

const PASSWORD = 'an old password of dana';

/** The form token on a page (every page form carries one). */
function formToken(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no _csrf field on the page');
  return token;
}

describe('account pages: sign-in, CSRF, rate limit, redirects', function () {
  this.timeout(60_000);
  let t: TestContext;

  before(async () => {
    t = await createTestContext('pages_account', { DEFAULT_LOCALE: 'en' });
    const dana = await t.services.users.create({ email: 'dana@example.com', name: 'Dana', role: 'editor' }, SYSTEM_ACTOR);
    await t.services.users.setPassword(dana.id, PASSWORD, SYSTEM_ACTOR);
  });
  after(() => t.close());

  /** A browser-like agent signed in through the login form, and the form token of its session. */
  async function signedIn(): Promise<{ agent: supertest.Agent; token: string }> {
    const agent = supertest.agent(t.app);
    const login = await agent.get('/login').expect(200);
    await agent.post('/login').type('form').send({ _csrf: formToken(login.text), email: 'dana@example.com', password: PASSWORD, next: '/' }).expect(303);
    const page = await agent.get('/account/password').expect(200);
    return { agent, token: formToken(page.text) };
  }

  it('pages need sign-in: GET / without a session is sent to /login?next=%2F', async () => {
    const res = await supertest(t.app).get('/').expect(303);
    expect(res.headers.location).to.equal('/login?next=%2F');
    expect((await supertest(t.app).get('/actions?x=1').expect(303)).headers.location).to.equal('/login?next=%2Factions%3Fx%3D1');
    expect((await supertest(t.app).get('/account/password').expect(303)).headers.location).to.equal('/login?next=%2Faccount%2Fpassword');
  });

  it('a password change without the form token is refused (403) and the password stays', async () => {
    const { agent, token } = await signedIn();
    await agent.post('/account/password').type('form').send({ password: 'a brand new password' }).expect(403);
    await agent.post('/account/password').type('form').send({ _csrf: 'forged', password: 'a brand new password' }).expect(403);
    expect(await t.services.users.checkPassword('dana@example.com', PASSWORD)).to.not.equal(undefined);
    expect(await t.services.users.checkPassword('dana@example.com', 'a brand new password')).to.equal(undefined);

    // With the token the same form works (so the 403s above were the token, not the request).
    await agent.post('/account/password').type('form').send({ _csrf: token, password: 'a brand new password' }).expect(200);
    expect(await t.services.users.checkPassword('dana@example.com', 'a brand new password')).to.not.equal(undefined);
    const dana = await t.services.users.find('dana@example.com');
    await t.services.users.setPassword(String(dana._id), PASSWORD, SYSTEM_ACTOR);
  });

  it('sign-out without the form token is refused (403) and the session stays', async () => {
    const { agent, token } = await signedIn();
    await agent.post('/logout').type('form').send({}).expect(403);
    await agent.get('/').expect(200);

    const out = await agent.post('/logout').type('form').send({ _csrf: token }).expect(303);
    expect(out.headers.location).to.equal('/login');
    expect(String(out.headers['set-cookie'])).to.include(`${SESSION_COOKIE}=;`);
    await agent.get('/').expect(303);
  });

  it('the API refuses a write that rides on the session cookie without the CSRF token', async () => {
    const { agent } = await signedIn();
    await agent.post('/api/v1/incidents').send({ title: 'Forged', severity: 'D' }).expect(403);
    expect((await t.api.get('/api/v1/incidents?q=Forged').expect(200)).body.total).to.equal(0);
  });

  it('does not follow a next= that leaves the site', async () => {
    const agent = supertest.agent(t.app);
    for (const next of ['//evil.example', '//evil.example/path', 'https://evil.example/', '/\\evil.example', ' //evil.example']) {
      const page = await agent.get(`/login?next=${encodeURIComponent(next)}`).expect(200);
      expect(page.text).to.include('name="next" value="/"').and.not.include('evil.example');
      const res = await agent.post('/login').type('form').send({ _csrf: formToken(page.text), email: 'dana@example.com', password: PASSWORD, next }).expect(303);
      expect(res.headers.location, next).to.equal('/');
    }
    // A local path is followed.
    const page = await agent.get('/login?next=%2Factions').expect(200);
    const res = await agent.post('/login').type('form').send({ _csrf: formToken(page.text), email: 'dana@example.com', password: PASSWORD, next: '/actions' }).expect(303);
    expect(res.headers.location).to.equal('/actions');
  });

  it('answers a page for an unknown incident with a readable 404 page, and the API with JSON', async () => {
    const { agent } = await signedIn();
    const page = await agent.get('/incidents/INC-1999-0001').set('accept', 'text/html').expect(404);
    expect(page.headers['content-type']).to.match(/text\/html/);
    expect(page.text).to.contain('Incident INC-1999-0001 not found');
    const api = await t.api.get('/api/v1/incidents/INC-1999-0001').expect(404);
    expect(api.body.error.code).to.equal('not_found');
  });

  it('rate-limits the sign-in form: the 11th wrong attempt for one email gets 429', async () => {
    const agent = supertest.agent(t.app);
    // Dana has signed in several times above: successful sign-ins do not count toward the limit.
    const token = formToken((await agent.get('/login').expect(200)).text);
    const attempt = (email: string, password: string) => agent.post('/login').type('form').send({ _csrf: token, email, password, next: '/' });
    for (let i = 1; i <= 10; i++) {
      const res = await attempt('dana@example.com', `guess number ${i}`);
      expect(res.status, `attempt ${i}`).to.equal(401);
      expect(res.text).to.include('Wrong email or password.');
    }
    const limited = await attempt('Dana@Example.com', 'guess number 11').expect(429);
    expect(limited.text).to.include('Too many attempts');
    // Even the right password waits now; another address is not held up.
    await attempt('dana@example.com', PASSWORD).expect(429);
    await attempt('erin@example.com', 'whatever it is').expect(401);
  });

});
