// Token introspection (RFC 7662) and revocation (RFC 7009) through openid-client.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar } from './lib/browser.js';
import { Latchkey, USER } from './lib/latchkey.js';
import { configure, oidc, signIn } from './lib/rp.js';

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

describe('introspection and revocation', () => {
  test('an access token is active until revoked, then introspection says inactive and userinfo refuses it', async () => {
    const { tokens } = await signIn(config, lk, new CookieJar(), { user: USER });

    const live = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(live.active, true);
    assert.equal(live.sub, alice.subject);
    assert.equal(live.client_id, 'web');
    assert.equal(live.iss, lk.issuer);
    assert.ok(live.scope.split(' ').includes('openid'));
    assert.equal(typeof live.exp, 'number');
    assert.ok(live.exp > Date.now() / 1000);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, alice.subject);
    assert.equal(info.sub, alice.subject);

    await oidc.tokenRevocation(config, tokens.access_token);

    const dead = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(dead.active, false);
    assert.deepEqual(Object.keys(dead), ['active'], 'an inactive token reveals nothing else');

    await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, alice.subject), (err) => {
      assert.ok(err instanceof oidc.WWWAuthenticateChallengeError, `${err.name}: ${err.message}`);
      assert.equal(err.status, 401);
      assert.equal(err.cause[0].scheme, 'bearer');
      assert.equal(err.cause[0].parameters.error, 'invalid_token');
      return true;
    });
  });

  test('a revoked refresh token is inactive and can no longer be used', async () => {
    const { tokens } = await signIn(config, lk, new CookieJar(), { user: USER });

    const live = await oidc.tokenIntrospection(config, tokens.refresh_token, { token_type_hint: 'refresh_token' });
    assert.equal(live.active, true);
    assert.equal(live.client_id, 'web');
    assert.equal(live.sub, alice.subject);

    await oidc.tokenRevocation(config, tokens.refresh_token, { token_type_hint: 'refresh_token' });

    const dead = await oidc.tokenIntrospection(config, tokens.refresh_token, { token_type_hint: 'refresh_token' });
    assert.equal(dead.active, false);
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), (err) => {
      assert.ok(err instanceof oidc.ResponseBodyError, `${err.name}: ${err.message}`);
      assert.equal(err.error, 'invalid_grant');
      return true;
    });
  });
});
