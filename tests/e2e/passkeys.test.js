// Passkeys in a real browser: Chromium's DevTools virtual authenticator (CTAP2, internal
// transport, resident keys, user verification) against latchkey on http://localhost:PORT (an
// IP address cannot be a WebAuthn relying party). An app (openid-client in this process, its
// callback a small server of the test's own) reads the ID token.
//
// Add a passkey on the account page, sign out, sign in with the passkey alone (amr hwk/swk +
// user + mfa, acr phr); the login page offers passkeys in the username field (conditional UI);
// acr_values=phr after a password asks for the passkey, then succeeds; a removed passkey no
// longer signs in.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { ALICE, Latchkey, freePort } from './lib/latchkey.js';
import { launchBrowser, openPage, screenshot } from './lib/browser.js';
import { at, expectArrival, scenario, submitLogin } from './lib/flows.js';

let lk;
let browser;
let app;

/** A confidential client whose callback is a tiny server that just says "back". */
async function startApp(issuer) {
  const port = await freePort([lk.port]);
  const base = `http://127.0.0.1:${port}`;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><head><title>Passkey app</title></head><body><p id="back">back</p></body></html>');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const client = await lk.addClient('passkey-app', [
    '--redirect-uri', `${base}/callback`,
    '--name', 'Passkey App',
  ]);
  const config = await oidc.discovery(new URL(issuer), 'passkey-app', client.client_secret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
  return { base, server, config };
}

before(async () => {
  lk = await Latchkey.create({ host: 'localhost' });
  await lk.addUser(ALICE);
  [browser] = await Promise.all([launchBrowser(), lk.start()]);
  app = await startApp(lk.issuer);
});

after(async () => {
  await Promise.all([browser?.close(), lk?.stop(), new Promise((r) => (app ? app.server.close(r) : r()))]);
});

const logsOf = () => `--- latchkey log (tail):\n${lk.log.join('').split('\n').slice(-40).join('\n')}`;

/** A virtual authenticator on this page, as a platform passkey provider with a fingerprint. */
async function addAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    async credentials() {
      return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    },
  };
}

/**
 * Record every navigator.credentials.get call's mediation (in `calls`, across navigations).
 * The virtual authenticator answers a conditional request at once (as a person picking the
 * passkey the browser suggests would), which would sign in on every login page; so pages are
 * told conditional UI is unavailable (as in a browser without it) unless
 * `sessionStorage.conditional` is set.
 */
async function watchWebAuthn(context, page) {
  const calls = [];
  await page.exposeFunction('__recordGet', (mediation) => calls.push(mediation));
  await context.addInitScript(() => {
    const original = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = (options) => {
      window.__recordGet(options?.mediation ?? 'modal');
      return original(options);
    };
    if (sessionStorage.getItem('conditional') !== '1') {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    }
  });
  return calls;
}

/** Start a sign-in at the app; resolves with what the callback needs. */
async function authorizeUrl(extra = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(app.config, {
    redirect_uri: `${app.base}/callback`,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url: url.href, verifier, state, nonce };
}

/** The browser is at the app's callback: exchange the code, return the ID token's claims. */
async function idTokenClaims(page, started) {
  await page.waitForURL((u) => u.origin === app.base && u.pathname === '/callback');
  const tokens = await oidc.authorizationCodeGrant(app.config, new URL(page.url()), {
    pkceCodeVerifier: started.verifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
  });
  return tokens.claims();
}

/** Allow on the consent page when it is shown, then wait for the app. */
async function allowIfAsked(page) {
  await page.waitForURL((u) => u.origin === app.base || at(lk.issuer, '/consent')(u));
  if (at(lk.issuer, '/consent')(new URL(page.url()))) {
    await page.getByRole('button', { name: 'Allow' }).click();
  }
}

async function signOut(page) {
  await page.goto(`${lk.issuer}/account`);
  await page.locator('button', { hasText: 'Sign out' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

test('a passkey added on the account page signs in alone, steps a password up to phr, and stops working once removed', { timeout: 120_000 }, async (t) => {
  const tab = await openPage(browser);
  const { page, context } = tab;
  t.after(() => tab.close());
  const calls = await watchWebAuthn(context, page);
  const authenticator = await addAuthenticator(page);
  const { step, finish } = scenario(t, tab, {});

  await step('after a password sign-in the account page adds a named passkey', async () => {
    await page.goto(`${lk.issuer}/login?next=/account`);
    await submitLogin(page, ALICE);
    await expectArrival(page, at(lk.issuer, '/account'));
    await page.getByLabel('Name of the new passkey').fill('Test laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('.passkey-name', { hasText: 'Test laptop' }).waitFor();
    const item = (await page.locator('#passkey-list li').first().textContent()).replace(/\s+/g, ' ');
    assert.match(item, /added \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC · last used never/);
    const creds = await authenticator.credentials();
    assert.equal(creds.length, 1, 'one credential on the authenticator');
    assert.equal(creds[0].isResidentCredential, true, 'a discoverable credential');
    assert.equal(creds[0].rpId, 'localhost');
    await screenshot(page, 'passkey-added');
  });

  await step('signing out ends the session', async () => {
    await signOut(page);
    await page.goto(`${lk.issuer}/account`);
    await page.waitForURL(at(lk.issuer, '/login'));
  });

  let started;
  await step('conditional UI: the login page asks for passkeys in the username field, and picking the one offered signs in', async () => {
    started = await authorizeUrl();
    await page.evaluate(() => sessionStorage.setItem('conditional', '1'));
    calls.length = 0;
    await page.goto(started.url, { waitUntil: 'commit' });
    await allowIfAsked(page);
    assert.deepEqual(calls, ['conditional'], `one WebAuthn request, with mediation conditional: ${JSON.stringify(calls)}`);
    const claims = await idTokenClaims(page, started);
    assert.equal(claims.acr, 'phr');
    assert.ok(claims.amr.includes('user') && claims.amr.includes('mfa'), `amr ${claims.amr}`);
    assert.ok(claims.amr.includes('hwk') || claims.amr.includes('swk'), `amr ${claims.amr}`);
    assert.ok(!claims.amr.includes('pwd'), `no password was used: ${claims.amr}`);
    assert.equal(claims.preferred_username, ALICE.username);
    await page.goto(`${lk.issuer}/`);
    await page.evaluate(() => sessionStorage.removeItem('conditional'));
  });

  await step('"Sign in with a passkey" signs in without a password: amr hwk/swk, user, mfa and acr phr', async () => {
    await signOut(page);
    started = await authorizeUrl();
    calls.length = 0;
    await page.goto(started.url);
    await page.waitForURL(at(lk.issuer, '/login'));
    assert.equal(await page.getByLabel('Username').getAttribute('autocomplete'), 'username webauthn');
    await screenshot(page, 'passkey-login');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await allowIfAsked(page);
    assert.deepEqual(calls, ['modal'], 'the button asks for a passkey itself');
    const claims = await idTokenClaims(page, started);
    assert.equal(claims.acr, 'phr');
    assert.ok(claims.amr.includes('user') && claims.amr.includes('mfa'), `amr ${claims.amr}`);
    assert.ok(claims.amr.includes('hwk') || claims.amr.includes('swk'), `amr ${claims.amr}`);
    assert.ok(!claims.amr.includes('pwd'), `no password was used: ${claims.amr}`);
  });

  await step('the account page shows when the passkey was last used', async () => {
    await page.goto(`${lk.issuer}/account`);
    const item = (await page.locator('#passkey-list li').first().textContent()).replace(/\s+/g, ' ');
    assert.doesNotMatch(item, /last used never/);
  });

  await step('acr_values=phr after a password asks for the passkey, then the app gets phr', async () => {
    await signOut(page);
    started = await authorizeUrl({ acr_values: 'phr' });
    await page.goto(started.url);
    await page.waitForURL(at(lk.issuer, '/login'));
    await submitLogin(page, ALICE);
    await page.waitForURL(at(lk.issuer, '/login/second-factor'));
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Confirm with your passkey');
    await screenshot(page, 'passkey-step-up');
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await allowIfAsked(page);
    const claims = await idTokenClaims(page, started);
    assert.equal(claims.acr, 'phr');
    assert.ok(claims.amr.includes('pwd') && claims.amr.includes('mfa'), `amr ${claims.amr}`);
    assert.ok(claims.amr.includes('hwk') || claims.amr.includes('swk'), `amr ${claims.amr}`);
  });

  await step('a removed passkey no longer signs in', async () => {
    await page.goto(`${lk.issuer}/account`);
    await page.getByRole('button', { name: 'Remove the passkey Test laptop' }).click();
    await page.getByText('The passkey “Test laptop” was removed.').waitFor();
    assert.equal(await page.locator('.passkey-name').count(), 0);
    await signOut(page);
    await page.goto(`${lk.issuer}/login`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const error = page.locator('#passkey-error');
    await error.waitFor({ state: 'visible' });
    assert.equal((await error.textContent()).trim(), 'This passkey was not accepted.');
    assert.ok(at(lk.issuer, '/login')(new URL(page.url())), 'still on the login page');
    await page.goto(`${lk.issuer}/account`);
    await page.waitForURL(at(lk.issuer, '/login'));
  });

  // The refused answer above is a 401 the page expects; anything else is a problem.
  const expected = (p) => p.includes('/login/passkey/finish') || p.includes('status of 401');
  const unexpected = tab.problems().filter((p) => !expected(p));
  tab.problems = () => unexpected;
  finish(logsOf);
});
