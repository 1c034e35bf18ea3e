// latchkey's own pages in a real browser: a wrong password, denying consent, the error page,
// the account page, the logout pages, and the login page at phone and desktop widths with the
// keyboard alone. Each test signs in as its own user, so remembered consents never leak from
// one test into another whatever the order.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ALICE } from './lib/latchkey.js';
import { startStack, logsOf } from './lib/stack.js';
import { launchBrowser, openPage, screenshot } from './lib/browser.js';
import {
  assertConsentPage,
  assertLoginPage,
  at,
  decide,
  expectArrival,
  openRpSignedOut,
  pollRpStatus,
  rpStatus,
  startSignIn,
  submitLogin,
} from './lib/flows.js';

const user = (username) => ({
  username,
  password: `${username} has a long passphrase`,
  email: `${username}@example.com`,
  name: `${username[0].toUpperCase()}${username.slice(1)} Example`,
});
const BOB = user('bob');
const CAROL = user('carol');
const DAVE = user('dave');
const ERIN = user('erin');

let stack;
let browser;

before(async () => {
  [stack, browser] = await Promise.all([
    startStack({ users: [ALICE, BOB, CAROL, DAVE, ERIN] }),
    launchBrowser(),
  ]);
});

after(async () => {
  await Promise.all([browser?.close(), stack?.stop()]);
});

/** Run `fn` with a fresh browser context; add the servers' logs to a failure, then check the pages. */
async function withPage(t, options, fn) {
  const tab = await openPage(browser, options);
  t.after(() => tab.close());
  try {
    await fn(tab);
    tab.assertClean(t.name);
  } catch (e) {
    const problems = tab.problems();
    if (problems.length) e.message += `\nproblems in the pages:\n  ${problems.join('\n  ')}`;
    e.message += `\n${logsOf(stack)}`;
    throw e;
  }
}

test('a wrong password shows "Invalid username or password" on the login page', { timeout: 60_000 }, async (t) => {
  await withPage(t, {}, async ({ page }) => {
    const { lk, rpA } = stack;
    await openRpSignedOut(page, rpA);
    await startSignIn(page, rpA, lk);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && at(lk.issuer, '/login')(new URL(r.url())));
    await submitLogin(page, ALICE, 'not the password');
    const res = await answer;
    assert.ok([200, 401].includes(res.status()), `HTTP ${res.status()}`);
    await page.waitForLoadState();
    assert.ok(at(lk.issuer, '/login')(new URL(page.url())), `still on the login page: ${page.url()}`);
    const error = page.getByRole('alert');
    assert.equal((await error.textContent()).trim(), 'Invalid username or password');
    await assertLoginPage(page, 'Demo A');
    assert.equal(await page.getByLabel('Username').inputValue(), 'alice', 'the username is kept');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not');
    await screenshot(page, 'login-wrong-password');

    // The re-rendered form still works.
    await submitLogin(page, ALICE);
    await expectArrival(page, at(lk.issuer, '/consent'));
    await assertConsentPage(page, 'Demo A', 'alice');
  });
});

test('denying on the consent page returns to Demo A\'s error view with access_denied', { timeout: 60_000 }, async (t) => {
  await withPage(t, {}, async ({ page }) => {
    const { lk, rpA } = stack;
    await openRpSignedOut(page, rpA);
    await startSignIn(page, rpA, lk);
    await submitLogin(page, BOB);
    await expectArrival(page, at(lk.issuer, '/consent'));
    await assertConsentPage(page, 'Demo A', 'bob');
    await decide(page, rpA, 'Deny');
    const callback = new URL(page.url());
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('iss'), lk.issuer, 'RFC 9207 iss on the error response');
    assert.equal(await rpStatus(page), 'Sign-in failed: access_denied');
    await screenshot(page, 'rp-error-access-denied');
    await openRpSignedOut(page, rpA);
  });
});

test('a user outside an app\'s allowed groups sees "You don\'t have access" and the app gets access_denied', { timeout: 60_000 }, async (t) => {
  const { lk, rpB } = stack;
  await lk.cli(['group', 'add', 'demo-b-users']);
  await lk.cli(['client', 'update', 'rp-b', '--allowed-group', 'demo-b-users']);
  t.after(async () => {
    await lk.cli(['client', 'update', 'rp-b', '--remove-allowed-group', 'demo-b-users']);
    await lk.cli(['group', 'remove', 'demo-b-users']);
  });
  await withPage(t, {}, async ({ page }) => {
    await openRpSignedOut(page, rpB);
    await startSignIn(page, rpB, lk);
    const refused = page.waitForResponse((r) => at(lk.issuer, '/authorize/resume')(new URL(r.url())));
    await submitLogin(page, ERIN);
    assert.equal((await refused).status(), 403);
    await page.waitForLoadState();
    const heading = (await page.getByRole('heading', { level: 1 }).textContent()).trim();
    assert.equal(heading, "You don't have access to Demo B");
    assert.match(await page.getByRole('alert').textContent(), /erin/);
    await screenshot(page, 'no-access');
    await page.getByRole('link', { name: 'Return to Demo B' }).click();
    await page.waitForURL((u) => u.origin === new URL(rpB.base).origin);
    assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied');
    assert.equal(await rpStatus(page), 'Sign-in failed: access_denied');
  });
});

test('a request latchkey cannot accept shows its error page, not a redirect', { timeout: 60_000 }, async (t) => {
  await withPage(t, {}, async ({ page }) => {
    const { lk, rpA } = stack;
    const url = new URL('/authorize', lk.issuer);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'no-such-app',
      redirect_uri: `${rpA.base}/callback`,
      scope: 'openid',
      state: 'xyz',
    }).toString();
    const res = await page.goto(url.href);
    assert.ok(res.status() >= 400 && res.status() < 500, `HTTP ${res.status()}`);
    assert.equal(new URL(page.url()).origin, lk.issuer, 'no redirect to the unverified redirect_uri');
    const title = (await page.getByRole('heading', { level: 1 }).textContent()).trim();
    assert.ok(title.length > 0, 'the error page has a heading');
    assert.ok((await page.getByRole('alert').textContent()).trim().length > 0, 'and says what went wrong');
    await screenshot(page, 'error');
  });
});

test('the account page lists the session and the apps; the logout pages sign out everywhere', { timeout: 60_000 }, async (t) => {
  await withPage(t, {}, async ({ page }) => {
    const { lk, rpA, rpB } = stack;
    for (const rp of [rpA, rpB]) {
      await openRpSignedOut(page, rp);
      await startSignIn(page, rp, lk, { expect: rp === rpA ? '/login' : '/consent' });
      if (rp === rpA) {
        await submitLogin(page, CAROL);
        await expectArrival(page, at(lk.issuer, '/consent'));
      }
      await decide(page, rp, 'Allow');
      assert.equal(await rpStatus(page), 'Signed in as carol');
    }

    await page.goto(`${lk.issuer}/account`);
    assert.ok(at(lk.issuer, '/account')(new URL(page.url())), page.url());
    assert.equal((await page.getByRole('heading', { level: 1 }).textContent()).trim(), 'Your account');
    const profile = page.getByRole('region', { name: 'Profile' });
    assert.match(await profile.textContent(), /carol/);
    assert.match(await profile.textContent(), /carol@example\.com/);
    const sessions = page.getByRole('region', { name: 'Where you are signed in' }).getByRole('listitem');
    assert.equal(await sessions.count(), 1, 'one session');
    assert.match(await sessions.first().textContent(), /this browser/);
    assert.match(await sessions.first().textContent(), /IP 127\.0\.0\.1/);
    const apps = (
      await page.getByRole('region', { name: 'Apps you have signed in to' }).locator('li strong').allTextContents()
    ).map((s) => s.trim());
    assert.deepEqual(apps.sort(), ['Demo A', 'Demo B']);
    assert.ok(await page.getByRole('button', { name: 'Revoke access for Demo A' }).isVisible());
    await screenshot(page, 'account');

    // Without an id_token_hint latchkey asks first (a third-party page cannot sign people out).
    await page.goto(`${lk.issuer}/logout`);
    assert.equal((await page.getByRole('heading', { level: 1 }).textContent()).trim(), 'Sign out?');
    await screenshot(page, 'logout-confirm');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(at(lk.issuer, '/logout'));
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await screenshot(page, 'signed-out');

    // Both apps hear of it by back-channel logout.
    await pollRpStatus(page, rpA, 'Not signed in', 10_000);
    await pollRpStatus(page, rpB, 'Not signed in', 10_000);
    // And the account page wants a sign-in again.
    await page.goto(`${lk.issuer}/account`);
    assert.ok(at(lk.issuer, '/login')(new URL(page.url())), `sent to sign in: ${page.url()}`);
  });
});

for (const width of [375, 1280]) {
  test(`at ${width} px the login page fits, labels its inputs and submits with the keyboard alone`, { timeout: 60_000 }, async (t) => {
    await withPage(t, { width, height: width < 600 ? 740 : 800 }, async ({ page }) => {
      const { lk, rpA } = stack;
      await openRpSignedOut(page, rpA);
      await startSignIn(page, rpA, lk);
      await screenshot(page, `login-${width}`);

      // Nothing sticks out sideways; the form and its button are fully on screen.
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      assert.ok(scrollWidth <= innerWidth, `no horizontal scrolling (${scrollWidth} > ${innerWidth})`);
      const button = await page.getByRole('button', { name: 'Sign in' }).boundingBox();
      assert.ok(button.x >= 0 && button.x + button.width <= width, `button inside the viewport: ${JSON.stringify(button)}`);
      assert.ok(button.height >= 24, `a button big enough to tap: ${button.height}px`);

      // Every visible input has a label that names it.
      const inputs = await page.locator('form input:not([type="hidden"])').evaluateAll((els) =>
        els.map((el) => ({ name: el.name, labels: [...el.labels].map((l) => l.textContent.trim()) })),
      );
      assert.deepEqual(inputs, [
        { name: 'username', labels: ['Username'] },
        { name: 'password', labels: ['Password'] },
      ]);
      assert.equal(await page.getByRole('textbox', { name: 'Username' }).getAttribute('autocomplete'), 'username');

      // Keyboard only: focus the username, type, Tab, type the password, Enter.
      await page.getByLabel('Username').focus();
      await page.keyboard.type(DAVE.username);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'password', 'Tab moves to the password');
      await page.keyboard.type(DAVE.password);
      await page.keyboard.press('Enter');
      await expectArrival(page, at(lk.issuer, '/consent'));
      await assertConsentPage(page, 'Demo A', 'dave');
      await screenshot(page, `consent-${width}`);
    });
  });
}
