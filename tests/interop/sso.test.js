// Browser SSO: a second authorization in the same cookie jar, and prompt=none.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authorize, CookieJar } from './lib/browser.js';
import { Latchkey, USER } from './lib/latchkey.js';
import { authorizationRequest, configure, oidc, signIn } from './lib/rp.js';

const lk = await Latchkey.create();
let alice;
let config;

before(async () => {
  alice = await lk.addUser();
  const web = await lk.addClient('web');
  await lk.start();
  config = await configure(lk, { clientId: 'web', clientSecret: web.client_secret, auth: 'client_secret_basic' });
});

after(() => lk.stop());

const steps = (browse) => browse.trace.map((t) => `${t.method} ${t.path} ${t.status}`);

describe('single sign-on', () => {
  test('a second authorization in the same browser gets a code without the login form, and prompt=none succeeds silently', async () => {
    const jar = new CookieJar();
    const first = await signIn(config, lk, jar, { user: USER });
    assert.ok(first.browse.sawLogin, 'the first authorization shows the login form');
    assert.ok(first.browse.sawConsent, 'the first authorization asks for consent');
    assert.ok(jar.cookies.size > 0, 'latchkey set a session cookie');

    // Same jar, no user given: showing the login form would fail the helper.
    const second = await signIn(config, lk, jar);
    assert.deepEqual(steps(second.browse), ['GET /authorize 302'], 'straight back to the client');
    assert.equal(second.claims.sub, alice.subject);
    assert.equal(second.claims.nonce, second.checks.expectedNonce);
    assert.equal(second.claims.auth_time, first.claims.auth_time, 'the same sign-in event');
    assert.notEqual(second.tokens.access_token, first.tokens.access_token);

    const silent = await signIn(config, lk, jar, { params: { prompt: 'none' } });
    assert.deepEqual(steps(silent.browse), ['GET /authorize 302']);
    assert.equal(silent.callback.searchParams.get('state'), silent.checks.expectedState);
    assert.equal(silent.claims.sub, alice.subject);
    assert.equal(silent.claims.auth_time, first.claims.auth_time);
    const info = await oidc.fetchUserInfo(config, silent.tokens.access_token, alice.subject);
    assert.equal(info.email, USER.email);
  });

  test('prompt=none without a session returns login_required with the state echoed', async () => {
    const { url, checks } = await authorizationRequest(config, lk, { prompt: 'none' });
    const browse = await authorize(new CookieJar(), url, { issuer: lk.issuer, redirectUri: lk.redirectUri });
    assert.deepEqual(steps(browse), ['GET /authorize 302']);
    const cb = browse.callback;
    assert.equal(cb.searchParams.get('error'), 'login_required');
    assert.equal(cb.searchParams.get('state'), checks.expectedState);
    assert.equal(cb.searchParams.get('iss'), lk.issuer);
    assert.equal(cb.searchParams.get('code'), null);

    await assert.rejects(oidc.authorizationCodeGrant(config, cb, checks), (err) => {
      assert.ok(err instanceof oidc.AuthorizationResponseError, `${err.name}: ${err.message}`);
      assert.equal(err.error, 'login_required');
      assert.equal(err.cause.get('state'), checks.expectedState);
      return true;
    });
  });
});
