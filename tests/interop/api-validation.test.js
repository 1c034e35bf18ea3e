// An API validating latchkey access tokens locally from the JWKS with `jose`, exactly as the
// README's example (examples/api-validate/validate.mjs) does, against tokens openid-client got:
// client_credentials and the authorization code flow with an RFC 8707 resource indicator.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyAccessToken } from '../../examples/api-validate/validate.mjs';
import { CookieJar } from './lib/browser.js';
import { Latchkey, USER } from './lib/latchkey.js';
import { configure, oidc, signIn } from './lib/rp.js';

const API = 'https://reports.example.com';
const lk = await Latchkey.create();
let alice;
let web;
let worker;

before(async () => {
  alice = await lk.addUser();
  const w = await lk.addClient('web');
  const k = await lk.addClient('worker', ['--grant-types', 'client_credentials', '--scopes', 'jobs']);
  await lk.cli(['api', 'add', API, '--name', 'Reports', '--scope', 'read:reports', '--scope', 'write:reports']);
  await lk.cli(['api', 'grant', API, 'web', '--scope', 'read:reports']);
  await lk.cli(['api', 'grant', API, 'worker', '--scope', 'read:reports']);
  await lk.start();
  web = await configure(lk, { clientId: 'web', clientSecret: w.client_secret, auth: 'client_secret_basic' });
  worker = await configure(lk, { clientId: 'worker', clientSecret: k.client_secret, auth: 'client_secret_basic' });
});

after(() => lk.stop());

const opts = (extra = {}) => ({ issuer: lk.issuer, audience: API, ...extra });

describe('an API validates access tokens from the JWKS', () => {
  test('a client_credentials token for the API passes, with its scopes', async () => {
    const t = await oidc.clientCredentialsGrant(worker, { scope: 'read:reports', resource: API });
    const claims = await verifyAccessToken(t.access_token, opts({ requiredScopes: ['read:reports'] }));
    assert.equal(claims.aud, API);
    assert.equal(claims.sub, 'worker');
    assert.equal(claims.client_id, 'worker');
    assert.equal(claims.scope, 'read:reports');
  });

  test('a scope the token lacks is insufficient_scope', async () => {
    const t = await oidc.clientCredentialsGrant(worker, { resource: API });
    await assert.rejects(
      verifyAccessToken(t.access_token, opts({ requiredScopes: ['write:reports'] })),
      /insufficient_scope/,
    );
  });

  test('a token for another audience is refused', async () => {
    const t = await oidc.clientCredentialsGrant(worker, { scope: 'jobs' });
    await assert.rejects(verifyAccessToken(t.access_token, opts()), /aud/);
  });

  test('a user token from the code flow with resource passes; the ID token does not', async () => {
    const { tokens } = await signIn(web, lk, new CookieJar(), {
      user: USER,
      params: { scope: 'openid read:reports', resource: API },
    });
    const claims = await verifyAccessToken(tokens.access_token, opts({ requiredScopes: ['read:reports'] }));
    assert.equal(claims.sub, alice.subject);
    assert.equal(claims.client_id, 'web');
    // An ID token is signed by the same keys but is not an access token (typ JWT, aud = client).
    await assert.rejects(verifyAccessToken(tokens.id_token, { issuer: lk.issuer, audience: 'web' }), /typ/);
  });

  test('a tampered token is refused', async () => {
    const t = await oidc.clientCredentialsGrant(worker, { resource: API });
    const [h, p, s] = t.access_token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url'));
    payload.scope = 'read:reports write:reports';
    const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
    await assert.rejects(verifyAccessToken(forged, opts()), /signature/);
  });

  test('the example runs as a program', async () => {
    const { execFile } = await import('node:child_process');
    const t = await oidc.clientCredentialsGrant(worker, { resource: API });
    const run = (args) =>
      new Promise((resolve) => {
        execFile(process.execPath, ['../../examples/api-validate/validate.mjs', ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? err.code : 0, stdout, stderr }),
        );
      });
    const ok = await run([lk.issuer, API, t.access_token, 'read:reports']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).aud, API);
    const bad = await run([lk.issuer, API, t.access_token, 'write:reports']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /insufficient_scope/);
  });
});
