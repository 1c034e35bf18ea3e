// The promise to users, in a real browser: sign in once and every app lets you in; sign out
// once and you are out everywhere (RP-initiated logout at one app, back-channel logout at the
// other).

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
  scenario,
  startSignIn,
  submitLogin,
} from './lib/flows.js';

let stack;
let browser;

before(async () => {
  [stack, browser] = await Promise.all([startStack({ users: [ALICE] }), launchBrowser()]);
});

after(async () => {
  await Promise.all([browser?.close(), stack?.stop()]);
});

test('single sign-on across two apps, and signing out at one signs out of both', { timeout: 90_000 }, async (t) => {
  const { lk, rpA, rpB } = stack;
  const tab = await openPage(browser);
  const { page, visited } = tab;
  t.after(() => tab.close());
  const { step, finish } = scenario(t, tab, stack);
  let ids;
  await step('Demo A sends a signed-out visitor to the latchkey login page', async () => {
    await openRpSignedOut(page, rpA);
    await startSignIn(page, rpA, lk);
    await screenshot(page, 'login');
  });

  await step('signing in leads to the consent page naming Demo A and its scopes', async () => {
    await submitLogin(page, ALICE);
    await expectArrival(page, at(lk.issuer, '/consent'));
    await assertConsentPage(page, 'Demo A', ALICE.username);
    await screenshot(page, 'consent');
  });

  await step('allowing returns to Demo A, which shows alice', async () => {
    await decide(page, rpA, 'Allow');
    assert.equal(await rpStatus(page), 'Signed in as alice');
    ids = {
      sub: await page.locator('#sub').textContent(),
      sid: await page.locator('#sid').textContent(),
    };
    assert.notEqual(ids.sid, '-', 'the ID token carries sid');
  });

  await step('Demo B asks only for consent, never for the password', async () => {
    await openRpSignedOut(page, rpB);
    const from = visited.length;
    await startSignIn(page, rpB, lk, { expect: '/consent' });
    await assertConsentPage(page, 'Demo B', ALICE.username);
    await decide(page, rpB, 'Allow');
    assert.equal(await rpStatus(page), 'Signed in as alice');
    const logins = visited.slice(from).filter((u) => at(lk.issuer, '/login')(new URL(u)));
    assert.deepEqual(logins, [], 'the login page was not shown for Demo B');
    assert.equal(await page.locator('#sub').textContent(), ids.sub, 'same sub at both apps');
    assert.equal(await page.locator('#sid').textContent(), ids.sid, 'same sid at both apps');
  });

  await step('signing out at Demo B goes through latchkey and back to Demo B, signed out', async () => {
    const from = visited.length;
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.origin === rpB.base && url.pathname === '/' && url.searchParams.has('state'));
    assert.equal(await rpStatus(page), 'Not signed in');
    assert.equal(
      await page.locator('#notice').textContent(),
      'You have signed out.',
      'latchkey echoed the state Demo B sent',
    );
    const trip = visited.slice(from).map((u) => new URL(u));
    assert.ok(trip.some(at(lk.issuer, '/logout')), `went through latchkey /logout: ${visited.slice(from)}`);
  });

  await step('Demo A shows signed out too, thanks to back-channel logout', async () => {
    await pollRpStatus(page, rpA, 'Not signed in', 10_000);
  });

  await step('signing in at Demo A again shows the login page', async () => {
    await startSignIn(page, rpA, lk);
    await assertLoginPage(page, 'Demo A');
  });

  finish(logsOf);
});
