// A single-page app in a real browser: oidc-client-ts (its browser build, from node_modules) on
// its own origin (http://localhost:PORT) against latchkey (http://127.0.0.1:PORT). Sign-in with
// PKCE, the token exchange and userinfo by fetch (CORS), refresh by the refresh-token grant,
// revocation, RP-initiated logout back to the app, and no CORS error in the console. An origin
// no client allows cannot read a token response.

import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ALICE, Latchkey, freePort } from './lib/latchkey.js';
import { launchBrowser, openPage, screenshot } from './lib/browser.js';
import { assertLoginPage, at, expectArrival, scenario, submitLogin } from './lib/flows.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LIBRARY = path.join(HERE, 'node_modules', 'oidc-client-ts', 'dist', 'browser', 'oidc-client-ts.min.js');

/** The app's one page: oidc-client-ts configured as the README shows, exposed as `window.app`. */
function appPage(issuer, base) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo SPA</title>
<script src="/oidc-client-ts.min.js"></script></head>
<body><h1>Demo SPA</h1><p id="status">loading</p>
<script>
const mgr = new oidc.UserManager({
  authority: ${JSON.stringify(issuer)},
  client_id: 'spa',
  redirect_uri: ${JSON.stringify(`${base}/callback`)},
  post_logout_redirect_uri: ${JSON.stringify(`${base}/`)},
  response_type: 'code',
  scope: 'openid profile email offline_access',
  automaticSilentRenew: true,
  loadUserInfo: true,
  userStore: new oidc.WebStorageStateStore({ store: window.localStorage }),
});
window.app = {
  mgr,
  async userinfo() {
    const user = await mgr.getUser();
    const res = await fetch(${JSON.stringify(`${issuer}/userinfo`)}, {
      headers: { Authorization: 'Bearer ' + user.access_token },
    });
    return { status: res.status, body: await res.json() };
  },
};
(async () => {
  if (location.pathname === '/callback') {
    await mgr.signinRedirectCallback();
    location.replace('/');
    return;
  }
  const user = await mgr.getUser();
  document.getElementById('status').textContent = user ? 'Signed in as ' + user.profile.preferred_username : 'Not signed in';
})().catch((e) => { document.getElementById('status').textContent = 'error: ' + e.message; });
</script></body></html>`;
}

/** Serve the app on 127.0.0.1:`port` (reached as http://localhost:`port`). */
function serveApp(port, issuerOf, base) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, base);
    if (url.pathname === '/oidc-client-ts.min.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(fs.readFileSync(LIBRARY));
    } else if (url.pathname === '/' || url.pathname === '/callback') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(appPage(issuerOf(), base));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

let lk;
let browser;
let spa;
let evil;
let spaBase;
let evilBase;

before(async () => {
  const spaPort = await freePort();
  const evilPort = await freePort([spaPort]);
  spaBase = `http://localhost:${spaPort}`;
  evilBase = `http://localhost:${evilPort}`;
  lk = await Latchkey.create({ avoidPorts: [spaPort, evilPort] });
  await lk.addUser(ALICE);
  const client = await lk.addClient('spa', [
    '--public',
    '--name', 'Demo SPA',
    '--redirect-uri', `${spaBase}/callback`,
    '--post-logout-redirect-uri', `${spaBase}/`,
    '--skip-consent',
  ]);
  assert.deepEqual(client.web_origins, [spaBase], 'the redirect URI origin is allowed by default');
  await lk.start({ avoidPorts: [spaPort, evilPort] });
  [spa, evil, browser] = await Promise.all([
    serveApp(spaPort, () => lk.issuer, spaBase),
    serveApp(evilPort, () => lk.issuer, evilBase),
    launchBrowser(),
  ]);
});

after(async () => {
  spa?.close();
  evil?.close();
  await Promise.all([browser?.close(), lk?.stop()]);
});

const logsOf = () => `--- latchkey log (tail):\n${lk.log.join('').split('\n').slice(-40).join('\n')}`;

test('a single-page app signs in with PKCE, calls userinfo, refreshes, revokes and signs out', { timeout: 90_000 }, async (t) => {
  const tab = await openPage(browser);
  const { page } = tab;
  t.after(() => tab.close());
  const { step, finish } = scenario(t, tab, { lk });
  let first;

  await step('the app sends a signed-out visitor to the latchkey login page, with PKCE', async () => {
    await page.goto(`${spaBase}/`);
    await page.locator('#status', { hasText: 'Not signed in' }).waitFor();
    const authorize = page.waitForRequest((r) => new URL(r.url()).pathname === '/authorize');
    await page.evaluate(() => { window.app.mgr.signinRedirect(); });
    const q = new URL((await authorize).url()).searchParams;
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.ok(q.get('code_challenge'));
    assert.equal(q.get('response_type'), 'code');
    await page.waitForURL(at(lk.issuer, '/login'));
    await assertLoginPage(page, 'Demo SPA');
  });

  await step('signing in returns to the app, which redeems the code and loads userinfo by fetch', async () => {
    const tokenResponse = page.waitForResponse((r) => new URL(r.url()).pathname === '/token');
    await submitLogin(page, ALICE);
    await expectArrival(page, at(spaBase, '/'));
    const res = await tokenResponse;
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['access-control-allow-origin'], spaBase);
    await page.locator('#status', { hasText: 'Signed in as alice' }).waitFor();
    first = await page.evaluate(() => window.app.mgr.getUser());
    assert.ok(first.access_token && first.refresh_token && first.id_token);
    assert.equal(first.profile.email, 'alice@example.com', 'claims from userinfo');
    const info = await page.evaluate(() => window.app.userinfo());
    assert.equal(info.status, 200);
    assert.equal(info.body.sub, first.profile.sub);
    await screenshot(page, 'spa-signed-in');
  });

  await step('renewing uses the refresh-token grant (no hidden iframe) and rotates the refresh token', async () => {
    const tokenRequest = page.waitForRequest((r) => new URL(r.url()).pathname === '/token');
    const renewed = await page.evaluate(() => window.app.mgr.signinSilent());
    assert.match((await tokenRequest).postData(), /grant_type=refresh_token/);
    assert.equal(page.frames().length, 1, 'no iframe');
    assert.notEqual(renewed.access_token, first.access_token);
    assert.notEqual(renewed.refresh_token, first.refresh_token);
    const info = await page.evaluate(() => window.app.userinfo());
    assert.equal(info.status, 200);
  });

  await step('revoking from the app kills its tokens', async () => {
    const user = await page.evaluate(() => window.app.mgr.getUser());
    await page.evaluate(() => window.app.mgr.revokeTokens());
    const refresh = await fetch(`${lk.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: user.refresh_token, client_id: 'spa' }),
    });
    assert.equal(refresh.status, 400);
    assert.equal((await refresh.json()).error, 'invalid_grant');
    const info = await fetch(`${lk.issuer}/userinfo`, { headers: { Authorization: `Bearer ${user.access_token}` } });
    assert.equal(info.status, 401);
  });

  await step('signing out goes through latchkey and back to the app, and the session is over', async () => {
    const logout = page.waitForRequest((r) => new URL(r.url()).pathname === '/logout');
    await page.evaluate(() => { window.app.mgr.signoutRedirect({ state: "bye" }); });
    const q = new URL((await logout).url()).searchParams;
    assert.equal(q.get('id_token_hint') !== null, true, 'id_token_hint sent');
    assert.equal(q.get('post_logout_redirect_uri'), `${spaBase}/`);
    assert.ok(q.get('state'), 'state sent');
    // Back at the app, with the state it sent.
    await page.waitForURL((url) => url.origin === spaBase && url.pathname === '/' && url.searchParams.has('state'));
    await page.evaluate(() => window.app.mgr.removeUser());
    await page.goto(`${spaBase}/`);
    await page.locator('#status', { hasText: 'Not signed in' }).waitFor();
    await page.evaluate(() => { window.app.mgr.signinRedirect(); });
    await page.waitForURL(at(lk.issuer, '/login'));
  });

  finish(logsOf);
});

test('an origin no client allows cannot read a token response', { timeout: 30_000 }, async (t) => {
  const tab = await openPage(browser);
  t.after(() => tab.close());
  await tab.page.goto(`${evilBase}/`);
  const outcome = await tab.page.evaluate(async (issuer) => {
    try {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'spa' }),
      });
      return `read ${res.status}`;
    } catch (e) {
      return `blocked: ${e.name}`;
    }
  }, lk.issuer);
  assert.equal(outcome, 'blocked: TypeError');
  assert.ok(
    tab.problems().some((p) => p.includes('CORS')),
    `the browser reports the CORS block: ${tab.problems().join('\n')}`,
  );
});
