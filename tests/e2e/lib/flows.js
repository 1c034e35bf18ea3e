// Steps shared by the browser tests, each asserting where the browser is and what it shows.

import assert from 'node:assert/strict';

export const SCOPE_WORDS = [
  'Know who you are (a stable identifier for your account)',
  'See your name and username',
  'See your email address',
];

/** A waitForURL predicate: this origin and path. */
export const at = (base, pathname) => (url) =>
  url.origin === new URL(base).origin && url.pathname === pathname;

/** The text of the RP page's status line ("Signed in as alice" / "Not signed in"). */
export async function rpStatus(page) {
  return (await page.locator('#status').textContent()).trim();
}

/** Open the RP's home page and assert nobody is signed in there. */
export async function openRpSignedOut(page, rp) {
  await page.goto(`${rp.base}/`);
  assert.equal(await page.title(), rp.name);
  assert.equal(await rpStatus(page), 'Not signed in');
}

/** Click the RP's "Sign in" link and expect latchkey's login page naming the RP. */
export async function startSignIn(page, rp, lk, { expect = '/login' } = {}) {
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL(at(lk.issuer, expect));
  if (expect === '/login') await assertLoginPage(page, rp.name);
}

export async function assertLoginPage(page, appName) {
  assert.equal(await page.title(), 'Sign in · latchkey');
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in');
  if (appName) {
    assert.equal(
      (await page.locator('p.lead').textContent()).trim(),
      `${appName} wants you to sign in.`,
    );
  }
  // Inputs reached through their labels, as a screen reader would.
  assert.equal(await page.getByLabel('Username').getAttribute('name'), 'username');
  assert.equal(await page.getByLabel('Password').getAttribute('type'), 'password');
}

/** Fill the login form through its labels and submit with the button. */
export async function submitLogin(page, user, password = user.password) {
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * Wait until the browser reaches a URL matching `predicate` after a form submission; if the
 * login page comes back with an error instead, fail at once with the error it shows.
 */
export async function expectArrival(page, predicate) {
  const error = page.locator('#login-error, main [role="alert"]');
  const which = await Promise.race([
    page.waitForURL(predicate).then(() => 'arrived'),
    error.first().waitFor({ state: 'visible' }).then(() => 'error'),
  ]);
  if (which === 'error' && !predicate(new URL(page.url()))) {
    const text = (await error.first().textContent()).trim();
    throw new Error(`expected to move on, but ${page.url()} shows: "${text}"`);
  }
}

/** Assert the consent page names the app and lists the requested scopes in plain words. */
export async function assertConsentPage(page, appName, username) {
  assert.equal(await page.title(), 'Allow access · latchkey');
  assert.equal(
    (await page.getByRole('heading', { level: 1 }).textContent()).trim(),
    `Allow ${appName} access?`,
  );
  const lead = (await page.locator('p.lead').textContent()).replace(/\s+/g, ' ').trim();
  assert.equal(lead, `You are signed in as ${username}. ${appName} asks to:`);
  // In the order the app asked for them, which differs between the two client libraries.
  const scopes = (await page.locator('ul.scopes li').allTextContents()).map((s) => s.trim());
  assert.deepEqual([...scopes].sort(), [...SCOPE_WORDS].sort());
  assert.ok(await page.getByRole('button', { name: 'Allow' }).isVisible());
  assert.ok(await page.getByRole('button', { name: 'Deny' }).isVisible());
}

/** Click Allow (or Deny) on the consent page and wait for the RP. */
export async function decide(page, rp, decision) {
  await page.getByRole('button', { name: decision }).click();
  await page.waitForURL((url) => url.origin === rp.base && url.pathname === (decision === 'Allow' ? '/' : '/callback'));
}

/** Poll the RP's home page (reloading) until it shows `status`, for at most `ms`. */
export async function pollRpStatus(page, rp, status, ms = 10_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    await page.goto(`${rp.base}/`);
    last = await rpStatus(page);
    if (last === status || Date.now() >= deadline) break;
    await page.waitForTimeout(250);
  }
  assert.equal(last, status, `${rp.name} still shows "${last}" after ${ms} ms`);
}

/**
 * Run the steps of one scenario as subtests, in order; after a failing step the rest are
 * skipped (they depend on it). `finish()` throws if a step failed or the pages had problems,
 * adding the servers' logs.
 */
export function scenario(t, tab, stack) {
  let failed = null;
  return {
    async step(name, fn) {
      if (failed) {
        await t.test(name, { skip: `after the failed step "${failed}"` });
        return;
      }
      await t.test(name, async () => {
        try {
          await fn();
        } catch (e) {
          failed = name;
          throw e;
        }
      });
    },
    finish(logsOf) {
      const found = tab.problems();
      const problems = found.length ? `\nproblems in the pages:\n  ${found.join('\n  ')}` : '';
      if (failed || problems) {
        throw new Error(
          `${failed ? `step failed: ${failed}` : 'all steps passed'}${problems}\n${logsOf(stack)}`,
        );
      }
    },
  };
}
