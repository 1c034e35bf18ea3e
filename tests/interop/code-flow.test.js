// Authorization code flow with openid-client as the RP: the three client authentication methods.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authorize, CookieJar } from './lib/browser.js';
import { Latchkey, USER } from './lib/latchkey.js';
import { authorizationRequest, configure, oidc, signIn } from './lib/rp.js';

const lk = await Latchkey.create();
let alice;
let web;
let webPost;
let spa;

before(async () => {
  alice = await lk.addUser();
  web = await lk.addClient('web', ['--name', 'Web App']);
  webPost = await lk.addClient('web-post');
  spa = await lk.addClient('spa', ['--public']);
  await lk.start();
});

after(() => lk.stop());

function tokenRequests(requests) {
  return requests.filter((r) => r.url.pathname === '/token');
}

describe('authorization code flow', () => {
  test('a confidential client using client_secret_basic signs alice in, reads userinfo and rotates its refresh token', async () => {
    assert.ok(web.client_secret, 'client add --json prints a client_secret for a confidential client');
    const requests = [];
    const config = await configure(lk, {
      clientId: 'web',
      clientSecret: web.client_secret,
      auth: 'client_secret_basic',
      requests,
    });
    assert.equal(config.serverMetadata().issuer, lk.issuer);

    const jar = new CookieJar();
    const started = Math.floor(Date.now() / 1000);
    const { tokens, claims, callback, checks, browse } = await signIn(config, lk, jar, { user: USER });

    // The browser went through login and consent, and came back with code, state and iss.
    assert.deepEqual(
      browse.trace.map((t) => `${t.method} ${t.path} ${t.status}`),
      [
        'GET /authorize 303',
        'GET /login 200',
        'POST /login 303',
        'GET /authorize/resume 303',
        'GET /consent 200',
        'POST /consent 302',
      ],
    );
    assert.equal(callback.searchParams.get('state'), checks.expectedState);
    assert.equal(callback.searchParams.get('iss'), lk.issuer);
    assert.ok(callback.searchParams.get('code'));

    // The token request used HTTP Basic, with no secret in the body.
    const [tokenReq] = tokenRequests(requests);
    const basic = tokenReq.headers.get('authorization');
    assert.match(basic, /^Basic /);
    const [id, secret] = Buffer.from(basic.slice(6), 'base64').toString().split(':');
    assert.equal(decodeURIComponent(id), 'web');
    assert.equal(decodeURIComponent(secret), web.client_secret);
    assert.equal(tokenReq.body.get('client_secret'), null);
    assert.equal(tokenReq.body.get('code_verifier'), checks.pkceCodeVerifier);

    // ID token claims (signature, iss, aud, exp and nonce were checked by openid-client).
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.access_token);
    assert.ok(tokens.refresh_token, 'offline_access was requested and granted');
    assert.equal(claims.iss, lk.issuer);
    assert.equal(claims.sub, alice.subject);
    assert.equal(claims.aud, 'web');
    assert.equal(claims.nonce, checks.expectedNonce);
    assert.equal(typeof claims.auth_time, 'number');
    assert.ok(
      claims.auth_time >= started - 5 && claims.auth_time <= Math.floor(Date.now() / 1000) + 5,
      `auth_time ${claims.auth_time} is about now`,
    );
    assert.equal(claims.email, USER.email);
    assert.equal(claims.name, USER.name);
    const granted = tokens.scope.split(' ');
    for (const s of ['openid', 'profile', 'email', 'offline_access']) assert.ok(granted.includes(s), `scope ${s} granted`);

    // UserInfo: same subject (openid-client checks it too), and the email.
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.sub, claims.sub);
    assert.equal(info.email, USER.email);
    assert.equal(info.name, USER.name);

    // Refresh: new tokens, same subject, refresh token rotated.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.access_token);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.ok(refreshed.refresh_token, 'a new refresh token is issued');
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.ok(refreshed.id_token, 'the refresh grant returns a new ID token');
    const refreshedClaims = refreshed.claims();
    assert.equal(refreshedClaims.sub, alice.subject);
    assert.equal(refreshedClaims.aud, 'web');
    assert.equal(refreshedClaims.auth_time, claims.auth_time, 'auth_time is the original sign-in');
    const info2 = await oidc.fetchUserInfo(config, refreshed.access_token, alice.subject);
    assert.equal(info2.email, USER.email);

    // The old refresh token is now rejected.
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), (err) => {
      assert.ok(err instanceof oidc.ResponseBodyError, `${err.name}: ${err.message}`);
      assert.equal(err.error, 'invalid_grant');
      assert.equal(err.status, 400);
      return true;
    });
  });

  test('a confidential client using client_secret_post signs alice in', async () => {
    const requests = [];
    const config = await configure(lk, {
      clientId: 'web-post',
      clientSecret: webPost.client_secret,
      auth: 'client_secret_post',
      requests,
    });
    const { tokens, claims, checks } = await signIn(config, lk, new CookieJar(), { user: USER });

    const [tokenReq] = tokenRequests(requests);
    assert.equal(tokenReq.headers.get('authorization'), null);
    assert.equal(tokenReq.body.get('client_id'), 'web-post');
    assert.equal(tokenReq.body.get('client_secret'), webPost.client_secret);

    assert.equal(claims.sub, alice.subject);
    assert.equal(claims.aud, 'web-post');
    assert.equal(claims.nonce, checks.expectedNonce);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.email, USER.email);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal(tokenRequests(requests)[1].body.get('client_secret'), webPost.client_secret);
  });

  test('a public client with token_endpoint_auth_method none and PKCE signs alice in', async () => {
    assert.equal(spa.client_secret, undefined, 'a public client has no secret');
    const requests = [];
    const config = await configure(lk, { clientId: 'spa', auth: 'none', requests });
    const { tokens, claims, checks, callback } = await signIn(config, lk, new CookieJar(), { user: USER });
    assert.equal(callback.searchParams.get('iss'), lk.issuer);

    const [tokenReq] = tokenRequests(requests);
    assert.equal(tokenReq.headers.get('authorization'), null);
    assert.equal(tokenReq.body.get('client_id'), 'spa');
    assert.equal(tokenReq.body.get('client_secret'), null);
    assert.equal(tokenReq.body.get('code_verifier'), checks.pkceCodeVerifier);

    assert.equal(claims.sub, alice.subject);
    assert.equal(claims.aud, 'spa');
    assert.equal(claims.nonce, checks.expectedNonce);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.email, USER.email);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.equal(refreshed.claims().sub, alice.subject);
    assert.equal(refreshed.claims().aud, 'spa');
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  });

  test('a public client cannot redeem a code with the wrong PKCE verifier', async () => {
    const config = await configure(lk, { clientId: 'spa', auth: 'none' });
    const { url, checks } = await authorizationRequest(config, lk);
    const { callback } = await authorize(new CookieJar(), url, {
      issuer: lk.issuer,
      redirectUri: lk.redirectUri,
      user: USER,
    });
    const wrong = { ...checks, pkceCodeVerifier: oidc.randomPKCECodeVerifier() };
    await assert.rejects(oidc.authorizationCodeGrant(config, callback, wrong), (err) => {
      assert.ok(err instanceof oidc.ResponseBodyError, `${err.name}: ${err.message}`);
      assert.equal(err.error, 'invalid_grant');
      return true;
    });
  });
});
