// ID tokens signed with each algorithm latchkey offers, verified by openid-client through JWKS.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar } from './lib/browser.js';
import { Latchkey, USER } from './lib/latchkey.js';
import { configure, oidc, signIn } from './lib/rp.js';

const lk = await Latchkey.create();
const ALGS = [
  { alg: 'RS256', kty: 'RSA' },
  { alg: 'ES256', kty: 'EC', crv: 'P-256' },
  { alg: 'EdDSA', kty: 'OKP', crv: 'Ed25519' },
];
const secrets = {};
let alice;

before(async () => {
  alice = await lk.addUser();
  for (const { alg } of ALGS) {
    const out = await lk.addClient(`web-${alg.toLowerCase()}`, ['--id-token-alg', alg]);
    secrets[alg] = out.client_secret;
  }
  await lk.start();
});

after(() => lk.stop());

function header(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());
}

describe('ID token signing algorithms', () => {
  test('discovery advertises RS256, ES256 and EdDSA', async () => {
    const config = await configure(lk, { clientId: 'web-rs256', clientSecret: secrets.RS256, auth: 'client_secret_basic' });
    assert.deepEqual(
      [...config.serverMetadata().id_token_signing_alg_values_supported].sort(),
      ['ES256', 'EdDSA', 'RS256'],
    );
  });

  for (const { alg, kty, crv } of ALGS) {
    test(`openid-client verifies an ID token signed with ${alg}`, async () => {
      const clientId = `web-${alg.toLowerCase()}`;
      // Pinning id_token_signed_response_alg makes openid-client refuse any other algorithm.
      const config = await configure(lk, {
        clientId,
        clientSecret: secrets[alg],
        auth: 'client_secret_basic',
        metadata: { id_token_signed_response_alg: alg },
      });
      const { tokens, claims, checks } = await signIn(config, lk, new CookieJar(), { user: USER });

      const h = header(tokens.id_token);
      assert.equal(h.alg, alg);
      assert.ok(h.kid, 'the ID token names its key');
      const jwks = await (await fetch(`${lk.issuer}/jwks`)).json();
      const key = jwks.keys.find((k) => k.kid === h.kid);
      assert.ok(key, `kid ${h.kid} is published in /jwks`);
      assert.equal(key.kty, kty);
      assert.equal(key.alg, alg);
      assert.equal(key.use, 'sig');
      if (crv) assert.equal(key.crv, crv);
      assert.equal(key.d, undefined, 'no private key material in /jwks');

      assert.equal(claims.sub, alice.subject);
      assert.equal(claims.aud, clientId);
      assert.equal(claims.nonce, checks.expectedNonce);

      // The refresh grant's ID token is signed with the same algorithm and verified too.
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
      assert.ok(refreshed.id_token);
      assert.equal(header(refreshed.id_token).alg, alg);
      assert.equal(refreshed.claims().sub, alice.subject);
    });

    test(`openid-client rejects an ${alg} ID token whose signature was altered in transit`, async () => {
      const clientId = `web-${alg.toLowerCase()}`;
      let altered = 0;
      const config = await configure(lk, {
        clientId,
        clientSecret: secrets[alg],
        auth: 'client_secret_basic',
        metadata: { id_token_signed_response_alg: alg },
        alterResponse: async (url, res) => {
          if (url.pathname !== '/token' || res.status !== 200) return res;
          const body = await res.json();
          const [h, p, sig] = body.id_token.split('.');
          const bytes = Buffer.from(sig, 'base64url');
          bytes[bytes.length >> 1] ^= 0x01;
          body.id_token = `${h}.${p}.${bytes.toString('base64url')}`;
          altered++;
          return new Response(JSON.stringify(body), {
            status: 200,
            headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
          });
        },
      });
      await assert.rejects(signIn(config, lk, new CookieJar(), { user: USER }), (err) => {
        assert.equal(err.code, 'OAUTH_INVALID_RESPONSE', `${err.name}: ${err.message}`);
        assert.match(err.cause?.message ?? err.message, /signature verification failed/);
        return true;
      });
      assert.equal(altered, 1);
    });
  }
});
