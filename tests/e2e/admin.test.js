// The admin web UI (/admin) in a real browser, as an admin uses it: sign in, create a user (the
// generated password shown once) and find them, make a group and put them in it, create an app
// restricted to the group (the secret shown once, then used for a code flow), run the sign-in
// checker (the `groups` claim explained; a user outside the group refused), end the user's
// session, rotate a signing key, filter the audit log and download it (a typed username that a
// spreadsheet would run is escaped in the CSV). Then the refusals: a non-admin gets a 403 page for
// every /admin URL the admin visited and for every form the admin pages post; a cross-site POST
// with the admin's own cookies and token is refused; an admin whose sign-in is older than
// `admin_reauth_secs` (30 s on a second latchkey) is sent to sign in again.
//
// latchkey runs on http://localhost:PORT; the app's callback server (which also serves the
// cross-site page) on http://127.0.0.1:PORT, another site.
//
// The screenshots of the main pages land in artifacts/ as admin-*.png; with E2E_UPDATE_DOCS=1
// they are also written to docs/screenshots/ (the README shows them).

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { Latchkey, freePort, sleep } from './lib/latchkey.js';
import { launchBrowser, openPage } from './lib/browser.js';
import { docShot, download, h1, notice, parseCsv, postForms, postFromPage, publishedKids, setField, text } from './lib/admin.js';
import { assertLoginPage, at, expectArrival, scenario, submitLogin } from './lib/flows.js';

/** The admin, made with the CLI. */
const ROOT = Object.freeze({
  username: 'root',
  password: 'root has a long passphrase',
  email: 'root@example.com',
  name: 'Root Admin',
});
/** The user the admin creates; the password is the one latchkey generates. */
const DANA = { username: 'dana', email: 'dana@example.com', name: 'Dana Example', password: null };
/** What a stranger types as a username at the login page: a spreadsheet formula. */
const FORMULA_NAME = '@SUM(1+1)';
/** The short admin_reauth_secs of the second latchkey (the smallest latchkey accepts). */
const REAUTH_SECS = 30;

let lk;
let lkStale;
let browser;
let app;

/** The app's callback (a page that says "back") and a page of another site posting to latchkey. */
async function startApp() {
  const port = await freePort([lk.port, lkStale.port]);
  const base = `http://127.0.0.1:${port}`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, base);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (url.pathname === '/cross-site' && server.crossSite) {
      const { action, fields } = server.crossSite;
      const inputs = Object.entries(fields)
        .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
        .join('');
      res.end(`<!doctype html><html lang="en"><head><title>Win a prize</title></head><body>
<form method="post" action="${esc(action)}">${inputs}</form>
<script>document.forms[0].submit();</script></body></html>`);
      return;
    }
    res.end('<!doctype html><html lang="en"><head><title>Wiki</title></head><body><p id="back">back</p></body></html>');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { base, server, callback: `${base}/callback` };
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function addAdmin(latchkey) {
  await latchkey.cli(
    ['user', 'add', ROOT.username, '--admin', '--email', ROOT.email, '--name', ROOT.name, '--password-stdin', '--json'],
    { stdin: `${ROOT.password}\n` },
  );
}

before(async () => {
  lk = await Latchkey.create({ host: 'localhost' });
  lkStale = await Latchkey.create({
    host: 'localhost',
    avoidPorts: [lk.port],
    env: { LATCHKEY_ADMIN_REAUTH_SECS: String(REAUTH_SECS) },
  });
  await Promise.all([addAdmin(lk), addAdmin(lkStale)]);
  [browser] = await Promise.all([
    launchBrowser(),
    lk.start({ avoidPorts: [lkStale.port] }),
    lkStale.start({ avoidPorts: [lk.port] }),
  ]);
  app = await startApp();
});

after(async () => {
  await Promise.all([
    browser?.close(),
    lk?.stop(),
    lkStale?.stop(),
    new Promise((r) => (app ? app.server.close(r) : r())),
  ]);
});

const tail = (name, l) => `--- ${name} log (tail):\n${l.log.join('').split('\n').slice(-40).join('\n')}`;
const logsOf = () => [tail('latchkey', lk), tail('latchkey (reauth 30 s)', lkStale)].join('\n');


test('an admin runs users, groups, apps, the sign-in checker, sessions, keys and the audit log from /admin; everyone else is refused', { timeout: 120_000 }, async (t) => {
  const tab = await openPage(browser);
  const userTab = await openPage(browser);
  const staleTab = await openPage(browser);
  t.after(() => Promise.all([tab.close(), userTab.close(), staleTab.close()]));
  const { page } = tab;
  const userPage = userTab.page;
  const stalePage = staleTab.page;
  const { step, finish } = scenario(t, tab, {});

  // Every /admin URL the admin's browser asked for with GET (for the non-admin's turn).
  const adminGets = new Set();
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (req.method() === 'GET' && u.origin === lk.issuer && u.pathname.startsWith('/admin')) {
      adminGets.add(u.pathname + u.search);
    }
  });

  let freshUntil;
  await step('on a latchkey with admin_reauth_secs = 30 the admin signs in and may use /admin', async () => {
    await stalePage.goto(`${lkStale.issuer}/admin`);
    await stalePage.waitForURL(at(lkStale.issuer, '/login'));
    await submitLogin(stalePage, ROOT);
    await expectArrival(stalePage, at(lkStale.issuer, '/admin'));
    // The sign-in's auth_time (whole seconds) is at most now; it is stale once the server's
    // clock is REAUTH_SECS + 1 seconds past it.
    freshUntil = Date.now() + (REAUTH_SECS + 2) * 1000;
    assert.equal(await h1(stalePage), 'Dashboard');
    await stalePage.goto(`${lkStale.issuer}/admin/keys`);
    assert.equal(await h1(stalePage), 'Signing keys');
  });

  await step('an admin opening /admin is sent to sign in and lands on the dashboard', async () => {
    await page.goto(`${lk.issuer}/admin`);
    await page.waitForURL(at(lk.issuer, '/login'));
    assert.equal(new URL(page.url()).searchParams.get('next'), '/admin');
    await assertLoginPage(page);
    await submitLogin(page, ROOT);
    await expectArrival(page, at(lk.issuer, '/admin'));
    assert.equal(await page.title(), 'Admin · latchkey');
    assert.equal(await h1(page), 'Dashboard');
    assert.equal(await text(page.locator('#count-users')), '1');
    assert.equal(await text(page.locator('#count-sessions')), '1');
    assert.equal(await text(page.locator('#count-apps')), '0');
    assert.equal(await page.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current'), 'page');
  });

  let subject;
  await step('creating a user shows the generated password once; the user list finds them', async () => {
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
    await page.waitForURL(at(lk.issuer, '/admin/users'));
    await page.getByRole('link', { name: 'New user' }).click();
    await page.waitForURL(at(lk.issuer, '/admin/users/new'));
    assert.equal(await h1(page), 'New user');
    await page.getByLabel('Username', { exact: true }).fill(DANA.username);
    await page.getByLabel('Email', { exact: true }).fill(DANA.email);
    await page.locator('#name').fill(DANA.name);
    // An invite link is the default; this admin hands over a generated password.
    await page.locator('input[name=how][value=password]').check();
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator('code#new-password').waitFor();
    DANA.password = (await page.locator('code#new-password').textContent()).trim();
    assert.ok(DANA.password.length >= 12, `a generated password: ${DANA.password}`);
    assert.equal(await notice(page), 'User created.');
    assert.equal(await h1(page), 'dana');
    subject = await text(page.locator('dl.profile dt:text-is("Subject") + dd'));
    assert.ok(subject.length > 0, 'the page shows the subject');

    // Shown once: the user's page never shows it again.
    await page.goto(`${lk.issuer}/admin/users/dana`);
    assert.equal(await h1(page), 'dana');
    assert.equal(await page.locator('#new-password').count(), 0);
    assert.ok(!(await page.content()).includes(DANA.password), 'the password is gone from the page');

    await page.goto(`${lk.issuer}/admin/users`);
    const q = page.locator('form[method="get"] input[name="q"]');
    await q.fill('dan');
    await q.press('Enter');
    await page.waitForURL((u) => at(lk.issuer, '/admin/users')(u) && u.searchParams.get('q') === 'dan');
    const rows = page.locator('#admin-main table tbody tr');
    assert.equal(await rows.count(), 1, 'one user matches "dan" (not root)');
    assert.deepEqual(
      (await rows.first().locator('th, td').allTextContents()).map((c) => c.trim()).slice(0, 3),
      ['dana', 'Dana Example', 'dana@example.com'],
    );
    await rows.first().getByRole('link', { name: 'dana' }).click();
    await page.waitForURL(at(lk.issuer, '/admin/users/dana'));
  });

  await step('the admin creates a group and adds the user to it on the user\'s page', async () => {
    await page.goto(`${lk.issuer}/admin/groups`);
    await page.getByLabel('Name', { exact: true }).fill('staff');
    await page.getByLabel('Description (optional)').fill('Everyone on the payroll');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.waitForURL(at(lk.issuer, '/admin/groups/staff'));
    assert.equal(await h1(page), 'Group staff');
    assert.equal(await text(page.locator('#member-count')), '0');
    await page.getByRole('link', { name: 'Groups' }).first().click();
    await page.waitForURL(at(lk.issuer, '/admin/groups'));
    const row = page.locator('#admin-main table tbody tr', { hasText: 'staff' });
    assert.equal(await row.count(), 1, 'the group is listed');
    assert.deepEqual((await row.locator('th, td').allTextContents()).map((c) => c.trim()), ['staff', 'Everyone on the payroll', '0', 'none']);

    await page.goto(`${lk.issuer}/admin/users/dana`);
    await page.getByLabel('Add to group').selectOption('staff');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForURL(at(lk.issuer, '/admin/users/dana'));
    const groups = page.getByRole('region', { name: 'Groups' });
    assert.deepEqual(await groups.locator('li > a').allTextContents(), ['staff']);
    assert.ok(await groups.getByRole('button', { name: 'Remove from staff' }).isVisible());

    await page.goto(`${lk.issuer}/admin/groups/staff`);
    assert.equal(await text(page.locator('#member-count')), '1');
  });

  let secret;
  await step('the admin creates an app restricted to the group and reads its secret once', async () => {
    await page.goto(`${lk.issuer}/admin/apps/new`);
    await page.getByLabel('Client ID', { exact: true }).fill('wiki');
    await page.getByLabel('Name', { exact: true }).fill('Wiki');
    await page.getByLabel('Redirect URIs (one a line)', { exact: true }).fill(app.callback);
    assert.match(await page.getByLabel('Scopes the app may ask for (space-separated)', { exact: true }).inputValue(), /\bgroups\b/);
    await page.locator('input[name="group.staff"]').check();
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.locator('code#client-secret').waitFor();
    secret = (await page.locator('code#client-secret').textContent()).trim();
    assert.ok(secret.length >= 32, 'a long secret');
    assert.equal(await notice(page), 'App created.');
    assert.match(await h1(page), /^Wiki confidential$/);
    assert.equal(await text(page.locator('#client-id')), 'wiki');
    assert.equal(await text(page.locator('#issuer')), lk.issuer);
    assert.ok(await page.locator('input[name="group.staff"]').isChecked(), 'restricted to staff');
    await docShot(page, 'app');

    await page.goto(`${lk.issuer}/admin/apps/wiki`);
    assert.equal(await page.locator('#client-secret').count(), 0, 'the secret is shown only once');
    assert.ok(!(await page.content()).includes(secret));

    await page.getByRole('link', { name: 'All apps' }).click();
    await page.waitForURL(at(lk.issuer, '/admin/apps'));
    const row = page.locator('#admin-main table tbody tr', { hasText: 'wiki' });
    const cells = (await row.locator('td').allTextContents()).map((c) => c.trim());
    assert.deepEqual(cells, ['Wiki', 'wiki', 'confidential', 'staff', 'authorization_code, refresh_token']);
    await docShot(page, 'apps');
  });

  await step('the sign-in checker explains the groups claim, and refuses a user outside the group', async () => {
    await page.goto(`${lk.issuer}/admin/apps/wiki`);
    await page.getByRole('link', { name: 'Check sign-in' }).click();
    await page.waitForURL(at(lk.issuer, '/admin/apps/wiki/check'));
    // Without a user the check is for the admin, who is in no group.
    assert.equal(
      await text(page.locator('#verdict')),
      'root cannot sign in to Wiki: not in an allowed group: the app is restricted to staff, and root is in no group',
    );
    assert.equal(await page.locator('#id_token-groups').getAttribute('data-state'), 'missing');
    await page.getByLabel('User', { exact: true }).fill('dana');
    await page.getByRole('button', { name: 'Check sign-in' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/apps/wiki/check' && u.searchParams.get('user') === 'dana');
    assert.equal(await text(page.locator('#verdict')), 'dana can sign in to Wiki, after the consent page');
    assert.ok(
      (await page.locator('ol.steps li').allTextContents()).some((s) => s.includes('dana is in staff, which the app is restricted to')),
      'the groups step names the group',
    );
    const groups = page.locator('#id_token-groups');
    assert.equal(await groups.getAttribute('data-state'), 'after consent');
    assert.equal(await text(groups.locator('code.value')), '["staff"]');
    assert.match(await text(groups.locator('td').last()), /^released by the scope groups: the groups dana is in \(dana has not consented to groups yet/);

  });

  let config;
  await step('the user signs in to the app (code flow, the secret from the page) and it gets the groups claim; the checker now says "present"', async () => {
    config = await oidc.discovery(new URL(lk.issuer), 'wiki', secret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: app.callback,
      scope: 'openid profile email groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    await userPage.goto(url.href);
    await userPage.waitForURL(at(lk.issuer, '/login'));
    await assertLoginPage(userPage, 'Wiki');
    await submitLogin(userPage, DANA);
    await expectArrival(userPage, at(lk.issuer, '/consent'));
    await userPage.getByRole('button', { name: 'Allow' }).click();
    await userPage.waitForURL((u) => u.origin === app.base && u.pathname === '/callback');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(userPage.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    assert.equal(claims.sub, subject);
    assert.equal(claims.preferred_username, 'dana');
    assert.deepEqual(claims.groups, ['staff']);

    // Every scope the app may use includes offline_access, which dana has not consented to.
    await page.goto(`${lk.issuer}/admin/apps/wiki/check?user=dana`);
    assert.equal(await text(page.locator('#verdict')), 'dana can sign in to Wiki, after the consent page');
    await page.getByLabel('Scope', { exact: true }).fill('openid profile email groups');
    await page.getByRole('button', { name: 'Check sign-in' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/apps/wiki/check' && u.searchParams.get('scope') === 'openid profile email groups');
    assert.equal(await text(page.locator('#verdict')), 'dana can sign in to Wiki');
    const groups = page.locator('#id_token-groups');
    assert.equal(await groups.getAttribute('data-state'), 'present');
    assert.equal(await text(groups.locator('td').last()), 'released by the scope groups: the groups dana is in');
    await docShot(page, 'check', { until: page.locator('table[aria-labelledby="id-token-h"]') });

    // The user's page lists the session and the app.
    await page.goto(`${lk.issuer}/admin/users/dana`);
    const sessions = page.getByRole('region', { name: 'Sessions' }).getByRole('listitem');
    assert.equal(await sessions.count(), 1);
    assert.ok(await sessions.getByRole('button', { name: 'End session' }).isVisible());
    assert.deepEqual(await page.getByRole('region', { name: 'Apps' }).locator('li a').allTextContents(), ['Wiki']);
    await docShot(page, 'user');
  });

  await step('the admin ends the user\'s session on /admin/sessions and the user\'s browser is signed out', async () => {
    await page.goto(`${lk.issuer}/admin/sessions`);
    const rows = page.locator('#sessions tbody tr');
    assert.deepEqual((await rows.locator('td:first-child').allTextContents()).map((s) => s.trim()).sort(), ['dana', 'root']);
    await page.getByRole('button', { name: /^End dana's session/ }).click();
    await page.waitForLoadState();
    assert.match(await notice(page), /ended/i);
    assert.deepEqual((await page.locator('#sessions tbody tr td:first-child').allTextContents()).map((s) => s.trim()), ['root']);

    await userPage.goto(`${lk.issuer}/account`);
    await userPage.waitForURL(at(lk.issuer, '/login'));
  });

  await step('the admin rotates a signing key on /admin/keys and /jwks publishes the new kid', async () => {
    const kidsBefore = await publishedKids(lk);
    await page.goto(`${lk.issuer}/admin/keys`);
    await page.getByLabel('Algorithm').selectOption('RS256');
    await page.getByRole('button', { name: 'Rotate' }).click();
    await page.waitForURL(at(lk.issuer, '/admin/keys/rotate'));
    const said = await notice(page);
    const m = said.match(/^New signing key RS256 (\S+): signing from now on\.$/);
    assert.ok(m, `the new key is named: "${said}"`);
    const kid = m[1];
    assert.ok(!kidsBefore.has(kid), 'a new kid');
    assert.ok((await publishedKids(lk)).has(kid), `/jwks publishes ${kid}`);
    const cells = async (tr) => (await tr.locator('td').allTextContents()).map((c) => c.trim());
    const rows = page.locator('#keys tbody tr');
    const table = [];
    for (let i = 0; i < (await rows.count()); i++) table.push(await cells(rows.nth(i)));
    const rs256 = table.filter((r) => r[1] === 'RS256');
    assert.deepEqual(rs256.find((r) => r[0] === kid).slice(1, 3), ['RS256', 'active']);
    assert.equal(rs256.filter((r) => r[2] === 'active').length, 1, `one active RS256 key: ${JSON.stringify(table)}`);
    assert.ok(rs256.length >= 2, 'the old key is still listed');
  });

  await step('the audit log filtered by user shows only that user\'s events; the CSV escapes a formula someone typed as a username', async () => {
    // A stranger's failed sign-in: the username they typed goes into the audit log.
    await userPage.goto(`${lk.issuer}/login`);
    await userPage.getByLabel('Username').fill(FORMULA_NAME);
    await userPage.getByLabel('Password').fill('not a password');
    await userPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await userPage.getByRole('alert').waitFor();

    await page.goto(`${lk.issuer}/admin/audit`);
    await setField(page, 'user', 'dana');
    await page.locator('form[method="get"] [name="user"]').press('Enter');
    await page.waitForURL((u) => at(lk.issuer, '/admin/audit')(u) && u.searchParams.get('user') === 'dana');
    const rows = page.locator('#audit tbody tr');
    // Time, kind, actor, subject, app, IP, detail; newest first.
    const shown = [];
    for (let i = 0; i < (await rows.count()); i++) {
      shown.push((await rows.nth(i).locator('td').allTextContents()).map((c) => c.trim()));
    }
    const kinds = shown.map((r) => r[1]);
    assert.deepEqual(kinds, ['session.ended.admin', 'token.issued', 'consent.given', 'login.succeeded', 'user.created'], JSON.stringify(shown));
    for (const r of shown) assert.ok([r[2], r[3]].some((v) => v === 'dana' || v === subject), `a row about dana: ${r}`);
    assert.deepEqual(shown[0].slice(2, 4), ['root', subject], 'the admin ended dana\'s session');
    assert.deepEqual(shown[4].slice(2, 4), ['root', 'dana'], 'the admin created dana');
    await docShot(page, 'audit');

    const csvLink = page.locator('a[href^="/admin/audit.csv"]');
    assert.equal(new URL(await csvLink.getAttribute('href'), lk.issuer).searchParams.get('user'), 'dana');
    const csv = parseCsv(await download(page, csvLink, adminGets));
    const header = csv[0];
    assert.deepEqual(header, ['id', 'time', 'at', 'kind', 'actor', 'subject', 'client_id', 'ip', 'detail']);
    assert.equal(csv.length - 1, shown.length, 'the CSV holds the rows the page shows');
    for (const r of csv.slice(1)) {
      const [actor, subj] = [r[4], r[5]];
      assert.ok([actor, subj].some((v) => v === 'dana' || v === subject), `a row about dana: ${r.join(',')}`);
    }

    // The failed sign-ins: the typed name starts with "@", so the CSV cell starts with "'".
    await setField(page, 'user', '');
    await setField(page, 'kind', 'login.failed');
    await page.locator('form[method="get"] [name="user"]').press('Enter');
    await page.waitForURL((u) => at(lk.issuer, '/admin/audit')(u) && u.searchParams.get('kind') === 'login.failed');
    assert.equal(await rows.count(), 1, 'one failed sign-in');
    assert.match(await text(rows.first().locator('td').nth(2)), /^@SUM/);
    const failedCsv = parseCsv(await download(page, page.locator('a[href^="/admin/audit.csv"]'), adminGets));
    assert.equal(failedCsv.length, 2);
    const actor = failedCsv[1][4];
    assert.ok(actor.startsWith("'@SUM"), `the formula is defused: ${actor}`);
    for (const cell of failedCsv.slice(1).flat()) {
      assert.ok(!/^[=+\-@\t\r]/.test(cell), `no cell a spreadsheet would run: ${cell}`);
    }
    const jsonl = (await download(page, page.locator('a[href^="/admin/audit.jsonl"]'), adminGets)).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(jsonl.length, 1);
    assert.equal(jsonl[0].kind, 'login.failed');
    assert.equal(`'${jsonl[0].actor}`, actor, 'JSON lines keep the value as recorded');
  });

  await step('the dashboard counts the users, sessions and apps', async () => {
    await page.goto(`${lk.issuer}/admin`);
    assert.equal(await text(page.locator('#count-users')), '2');
    assert.equal(await text(page.locator('#count-apps')), '1');
    assert.equal(await text(page.locator('#count-sessions')), '1');
    assert.equal(await text(page.locator('#total-failed')), '1');
    await docShot(page, 'dashboard');
  });

  // The forms of every admin page visited, and the removal confirmations.
  const forms = new Map();
  await step('a non-admin gets the 403 page for every /admin URL the admin visited', async () => {
    // The removal confirmations, and the pages the scenario had no use for.
    for (const confirm of ['/admin/users/dana/remove', '/admin/apps/wiki/remove', '/admin/groups/staff/remove']) {
      await page.goto(`${lk.issuer}${confirm}`);
      assert.match(await h1(page), /\?$/, `${confirm} asks first`);
    }
    for (const other of ['/admin/apis', '/admin/scopes']) await page.goto(`${lk.issuer}${other}`);
    for (const url of adminGets) {
      if (/^\/admin\/audit\.(csv|jsonl)/.test(url)) continue;
      const res = await page.goto(`${lk.issuer}${url}`);
      assert.ok(res.status() < 400, `${url} answers the admin: ${res.status()}`);
      for (const f of await postForms(page)) forms.set(f.action, f.fields);
    }

    await userPage.goto(`${lk.issuer}/login?next=/account`);
    await submitLogin(userPage, DANA);
    await expectArrival(userPage, at(lk.issuer, '/account'));
    for (const url of adminGets) {
      const res = await userPage.goto(`${lk.issuer}${url}`);
      assert.equal(res.status(), 403, `GET ${url}`);
      assert.equal(await h1(userPage), 'Not allowed', `GET ${url}`);
    }
    const paths = new Set([...adminGets].map((u) => u.split('?')[0]));
    for (const expected of [
      '/admin', '/admin/users', '/admin/users/new', '/admin/users/dana', '/admin/users/dana/remove',
      '/admin/groups', '/admin/groups/staff', '/admin/groups/staff/remove',
      '/admin/apps', '/admin/apps/new', '/admin/apps/wiki', '/admin/apps/wiki/check', '/admin/apps/wiki/remove',
      '/admin/apis', '/admin/scopes', '/admin/keys', '/admin/sessions', '/admin/audit', '/admin/audit.csv', '/admin/audit.jsonl',
    ]) {
      assert.ok(paths.has(expected), `${expected} was checked: ${[...paths].join(' ')}`);
    }
  });

  await step('a non-admin gets the 403 page for a POST of every admin form, with a valid CSRF token', async () => {
    for (const expected of [
      '/admin/users', '/admin/users/dana/disable', '/admin/users/dana/groups/remove', '/admin/users/dana/remove',
      '/admin/groups', '/admin/groups/staff/members', '/admin/groups/staff/remove',
      '/admin/apps', '/admin/apps/wiki/update', '/admin/apps/wiki/rotate-secret', '/admin/apps/wiki/remove',
      '/admin/keys/rotate', '/admin/sessions/end',
    ]) {
      assert.ok(forms.has(expected), `the admin pages post to ${expected}: ${[...forms.keys()].join(' ')}`);
    }
    // The admin routes whose forms the pages did not show in this state (dana is in every group,
    // has no attribute, no second factor; there is no API).
    const unseen = {
      '/admin/users/dana/enable': {},
      '/admin/users/dana/groups/add': { group: 'staff' },
      '/admin/users/dana/attributes/unset': { key: 'team' },
      '/admin/users/dana/sessions/end': { sid: 'any' },
      '/admin/users/dana/reset-mfa': {},
      '/admin/groups/staff/apps': { client_id: 'wiki' },
      '/admin/apis/scopes': { api: 'https://api.example', scope: 'read' },
      '/admin/apis/scopes/remove': { api: 'https://api.example', scope: 'read' },
      '/admin/apis/grant': { api: 'https://api.example', client_id: 'wiki', scope: 'read' },
      '/admin/apis/revoke': { api: 'https://api.example', client_id: 'wiki', scope: 'read' },
      '/admin/apis/remove': { api: 'https://api.example' },
      '/admin/scopes/remove': { name: 'team' },
    };
    for (const [action, fields] of Object.entries(unseen)) if (!forms.has(action)) forms.set(action, fields);
    await userPage.goto(`${lk.issuer}/account`);
    const token = await userPage.locator('input[name="csrf_token"]').first().inputValue();
    const kids = await publishedKids(lk);
    for (const [action, fields] of forms) {
      const res = await postFromPage(userPage, action, { ...fields, csrf_token: token });
      assert.equal(res.status(), 403, `POST ${action}`);
      assert.equal(await h1(userPage), 'Not allowed', `POST ${action}`);
    }
    // Nothing changed.
    assert.deepEqual(await publishedKids(lk), kids);
    await page.goto(`${lk.issuer}/admin/users/dana`);
    assert.equal(await h1(page), 'dana');
    assert.deepEqual(await page.getByRole('region', { name: 'Groups' }).locator('li > a').allTextContents(), ['staff']);
  });

  await step('a POST from another site is refused, even with the admin\'s cookies and token', async () => {
    await page.goto(`${lk.issuer}/admin/users/dana`);
    const token = await page.locator('input[name="csrf_token"]').first().inputValue();
    const action = `${lk.issuer}/admin/users/dana/disable`;
    app.server.crossSite = { action, fields: { csrf_token: token } };
    const answer = page.waitForResponse((r) => r.url() === action);
    await page.goto(`${app.base}/cross-site`);
    const res = await answer;
    assert.equal(res.status(), 403);
    await page.waitForURL(action);
    assert.equal(await h1(page), 'This form has expired');
    await page.goto(`${lk.issuer}/admin/users/dana`);
    assert.equal(await h1(page), 'dana', 'not disabled');
    assert.ok(await page.getByRole('button', { name: 'Disable' }).isVisible());
  });

  await step('an admin whose sign-in is older than admin_reauth_secs is asked to sign in again', async () => {
    const kids = await publishedKids(lkStale);
    const wait = freshUntil - Date.now();
    if (wait > 0) await sleep(wait);
    // The keys page was loaded while fresh; its form is sent now.
    await stalePage.getByRole('button', { name: 'Rotate' }).click();
    await stalePage.waitForURL(at(lkStale.issuer, '/login'));
    const sent = new URL(stalePage.url());
    assert.equal(sent.searchParams.get('reauth'), '1');
    assert.equal(sent.searchParams.get('next'), '/admin');
    assert.equal(await notice(stalePage), 'The admin pages need a recent sign-in: sign in again first.');
    assert.deepEqual(await publishedKids(lkStale), kids, 'nothing was rotated');

    await stalePage.goto(`${lkStale.issuer}/admin`);
    await stalePage.waitForURL(at(lkStale.issuer, '/login'));
    assert.equal(new URL(stalePage.url()).search, '?reauth=1&next=/admin');
    await submitLogin(stalePage, ROOT);
    await expectArrival(stalePage, at(lkStale.issuer, '/admin'));
    assert.equal(await h1(stalePage), 'Dashboard');
  });

  for (const other of [userTab, staleTab]) {
    const found = other.problems();
    if (found.length) tab.problems = ((mine) => () => [...mine(), ...found])(tab.problems);
  }
  finish(logsOf);
});
