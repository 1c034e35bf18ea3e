// Onboarding in a real browser: latchkey on http://localhost:PORT (passkeys cannot live on an IP
// address) mailing to a tiny SMTP sink of the test's own (node:net). An invite is mailed, its
// link followed, a password chosen, and the person is signed in; another invite is accepted
// with a passkey alone (Chromium's virtual authenticator) and that passkey signs in later;
// "Forgot password?" mails a reset link, the new password is set, and the user signs in with it.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { ALICE, Latchkey } from './lib/latchkey.js';
import { launchBrowser, openPage, screenshot } from './lib/browser.js';
import { at, expectArrival, scenario, submitLogin } from './lib/flows.js';

/** A few lines of SMTP: every message is kept, quoted-printable undone. */
function startSink() {
  const mails = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    let inData = false;
    let data = '';
    const to = [];
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let nl;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            const text = data.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
            mails.push({ to: [...to], text: Buffer.from(text, 'latin1').toString('utf8') });
            to.length = 0;
            data = '';
            socket.write('250 queued\r\n');
          } else {
            data += `${line.startsWith('.') ? line.slice(1) : line}\r\n`;
          }
          continue;
        }
        const cmd = line.toUpperCase();
        if (cmd.startsWith('EHLO')) socket.write('250-sink\r\n250 8BITMIME\r\n');
        else if (cmd.startsWith('RCPT TO:')) { to.push(line.slice(8).replace(/[<>]/g, '').trim()); socket.write('250 ok\r\n'); }
        else if (cmd === 'DATA') { inData = true; socket.write('354 go ahead\r\n'); }
        else if (cmd.startsWith('QUIT')) { socket.end('221 bye\r\n'); }
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, mails }));
  });
}

/** The first link with `prefix` in a mail to `to`, waiting (bounded) for the mail. */
async function linkFor(sink, to, prefix, count = 1) {
  for (let i = 0; i < 300; i += 1) {
    const mails = sink.mails.filter((m) => m.to.includes(to));
    if (mails.length >= count) {
      const m = mails[count - 1].text.match(new RegExp(`https?://[^\\s"<>]*${prefix}[A-Za-z0-9_-]{43}`));
      assert.ok(m, `a ${prefix} link in: ${mails[count - 1].text}`);
      return m[0];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} came`);
}

let lk;
let browser;
let sink;

before(async () => {
  sink = await startSink();
  lk = await Latchkey.create({ host: 'localhost' });
  lk.env.LATCHKEY_SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
  lk.env.LATCHKEY_SMTP_FROM = 'latchkey <id@example.com>';
  await lk.addUser(ALICE);
  [browser] = await Promise.all([launchBrowser(), lk.start()]);
});

after(async () => {
  await Promise.all([browser?.close(), lk?.stop(), new Promise((r) => (sink ? sink.server.close(r) : r()))]);
});

test('an invite mailed to a new colleague: choose a password, signed in', { timeout: 120_000 }, async (t) => {
  const tab = await openPage(browser);
  const { page } = tab;
  t.after(() => tab.close());
  const { step } = scenario(t, tab, {});
  const out = JSON.parse(await lk.cli(['user', 'invite', 'bob', '--email', 'bob@example.com', '--name', 'Bob', '--json']));
  assert.equal(out.emailed, true);
  const link = await linkFor(sink, 'bob@example.com', '/invite/');
  assert.equal(link, out.url);

  await step('the invite page asks for a password (or a passkey)', async () => {
    await page.goto(link);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Welcome, bob');
    await screenshot(page, 'invite');
    await page.getByLabel('Password (at least 8 characters)').fill('bobs own password 1');
    await page.getByLabel('Password, again').fill('bobs own password 1');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await expectArrival(page, at(lk.issuer, '/welcome'));
    assert.match(await page.locator('main').textContent(), /You are signed in as bob/);
  });

  await step('signed in: the account page opens, the address is verified', async () => {
    await page.getByRole('link', { name: 'Go to your account' }).click();
    await page.waitForURL(at(lk.issuer, '/account'));
    assert.match(await page.locator('main').textContent(), /bob@example\.com/);
    assert.doesNotMatch(await page.locator('main').textContent(), /not confirmed/);
  });
});

test('an invite accepted with a passkey alone, which then signs in', { timeout: 120_000 }, async (t) => {
  const tab = await openPage(browser);
  const { page } = tab;
  t.after(() => tab.close());
  const { step } = scenario(t, tab, {});
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  await page.context().addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  const out = JSON.parse(await lk.cli(['user', 'invite', 'pat', '--email', 'pat@example.com', '--json']));
  const link = await linkFor(sink, 'pat@example.com', '/invite/');
  assert.equal(link, out.url);

  await step('the invite page registers a passkey and signs in', async () => {
    await page.goto(link);
    await page.getByLabel('Name of this passkey').fill('Test laptop');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expectArrival(page, at(lk.issuer, '/welcome'));
    await page.goto(`${lk.issuer}/account`);
    await page.waitForURL(at(lk.issuer, '/account'));
    const main = await page.locator('main').textContent();
    assert.match(main, /Test laptop/);
    assert.match(main, /Set a password/, 'a passkey-only account');
  });

  await step('signed out, the passkey alone signs in again', async () => {
    await page.locator('button', { hasText: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.goto(`${lk.issuer}/login?next=/account`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(at(lk.issuer, '/account'));
    assert.match(await page.locator('main').textContent(), /pat@example\.com/);
  });
});

test('forgot password: a mailed link sets a new one, and it signs in', { timeout: 120_000 }, async (t) => {
  const tab = await openPage(browser);
  const { page } = tab;
  t.after(() => tab.close());
  const { step } = scenario(t, tab, {});
  const before = sink.mails.filter((m) => m.to.includes(ALICE.email)).length;

  await step('"Forgot password?" on the login page mails a link', async () => {
    await page.goto(`${lk.issuer}/login`);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL(at(lk.issuer, '/login/forgot'));
    await page.getByLabel('Username or email address').fill(ALICE.username);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.locator('p.notice').waitFor();
    assert.match(await page.locator('p.notice').textContent(), /If an account goes by that name/);
  });

  await step('the link sets a new password; then alice signs in with it', async () => {
    const link = await linkFor(sink, ALICE.email, '/reset/', before + 1);
    await page.goto(link);
    await page.getByLabel('New password (at least 8 characters)').fill('alices new password 5');
    await page.getByLabel('New password, again').fill('alices new password 5');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(at(lk.issuer, '/login'));
    await submitLogin(page, ALICE, 'alices new password 5');
    await expectArrival(page, at(lk.issuer, '/account'));
  });
});
