// The device authorization grant (RFC 8628) through openid-client: the "device" starts and polls
// with openid-client, a cookie-jar browser signs in and approves on /device in between.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar, inputValue, request } from './lib/browser.js';
import { Latchkey, USER } from './lib/latchkey.js';
import { configure, oidc } from './lib/rp.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const lk = await Latchkey.create();
let alice;
let config;

before(async () => {
  alice = await lk.addUser();
  await lk.addClient('tv', ['--public', '--name', 'Living room TV', '--grant-types', `${DEVICE_GRANT},refresh_token`]);
  lk.env.LATCHKEY_DEVICE_POLL_INTERVAL_SECS = '1';
  await lk.start();
  config = await configure(lk, { clientId: 'tv', auth: 'none' });
});

after(() => lk.stop());

const form = (fields) => ({
  method: 'POST',
  body: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

/** The person: opens verification_uri_complete, signs in, confirms the code, presses `decision`. */
async function approve(jar, started, decision) {
  let url = new URL(started.verification_uri_complete);
  let res = await request(jar, url.href);
  for (let i = 0; i < 5 && res.status >= 300 && res.status < 400; i++) {
    url = new URL(res.headers.get('location'), url);
    await res.arrayBuffer();
    res = await request(jar, url.href);
  }
  let html = await res.text();
  if (url.pathname === '/login') {
    const fields = { username: USER.username, password: USER.password, csrf_token: inputValue(html, 'csrf_token') };
    const next = inputValue(html, 'next');
    if (next) fields.next = next;
    res = await request(jar, new URL('/login', lk.issuer).href, form(fields));
    assert.equal(res.status, 303, 'signed in');
    url = new URL(res.headers.get('location'), lk.issuer);
    await res.arrayBuffer();
    res = await request(jar, url.href);
    html = await res.text();
  }
  assert.equal(url.pathname, '/device', `back on /device: ${url}`);
  assert.equal(inputValue(html, 'user_code'), started.user_code, 'the code is filled in');
  res = await request(jar, new URL('/device', lk.issuer).href, form({ user_code: started.user_code, csrf_token: inputValue(html, 'csrf_token') }));
  html = await res.text();
  assert.equal(res.status, 200, html.slice(0, 300));
  assert.match(html, /Living room TV/);
  res = await request(jar, new URL('/device', lk.issuer).href, form({ user_code: inputValue(html, 'user_code'), csrf_token: inputValue(html, 'csrf_token'), decision }));
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

describe('device flow with openid-client', () => {
  test('discovery advertises the endpoint and the grant', () => {
    const m = config.serverMetadata();
    assert.equal(m.device_authorization_endpoint, `${lk.issuer}/device_authorization`);
    assert.ok(m.grant_types_supported.includes(DEVICE_GRANT));
  });

  test('the device polls while the person approves, then gets verified tokens', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(started.verification_uri, `${lk.issuer}/device`);
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);
    await new Promise((r) => setTimeout(r, 1500)); // at least one authorization_pending first
    await approve(new CookieJar(), started, 'allow');
    const tokens = await polling;
    const claims = tokens.claims();
    assert.equal(claims.sub, alice.subject);
    assert.equal(claims.aud, 'tv');
    assert.equal(claims.preferred_username, 'alice');
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, alice.subject);
    assert.equal(info.sub, alice.subject);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.access_token);
  });

  test('a denial ends the polling with access_denied', async () => {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    const polling = oidc.pollDeviceAuthorizationGrant(config, started);
    await approve(new CookieJar(), started, 'deny');
    await assert.rejects(polling, (e) => e.error === 'access_denied');
  });
});
