// Sign-ins per second with a second factor, next to password sign-ins (bench/second-factor
// starts the server and prints the table; this is its driver). Against one latchkey whose
// issuer is http://localhost:PORT (WebAuthn refuses IP addresses):
//
//   node second_factor.mjs @job.json     prints one JSON result line on stdout, progress on stderr
//
// Job fields: bin, data_dir (for `latchkey user add`), base, client_id, client_secret,
// redirect_uri, server_pid (for its CPU time), concurrency, duration, warmup (s), users (password-only and passkey users,
// each), totp_users (0: sized from the password rate), max_totp_users, password.
//
// Three groups of users, all made with the CLI and set up through the real pages:
// - password only;
// - password + authenticator app: signed in, GET /account/totp, the shown key read, a code
//   computed here (RFC 6238: HMAC-SHA-1, 30-s steps) posted back;
// - a passkey: signed in, registered through /account/passkeys/{begin,finish} by the small
//   software authenticator below (test tooling standing in for a phone: P-256, attestation
//   "none"; latchkey itself checks everything with webauthn-rs).
//
// Then, each for `duration` s at `concurrency` fresh browsers: authorize -> login page ->
// password -> code; the same -> /login/second-factor -> a current code -> code; and
// authorize -> login page -> /login/passkey/begin -> an assertion -> /login/passkey/finish ->
// code. Any unexpected status is an error.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { FORM, Failure, Jar, Site, fail, formBody, guard, hidden, measure, randomClient } from './flows.mjs';

const arg = process.argv[2];
const job = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg);
const C = job.concurrency;
const PASSWORD = job.password;
const say = (m) => process.stderr.write(`second-factor: ${m}\n`);

// ------------------------------------------------------------------ users, by the CLI
// latchkey refuses unknown LATCHKEY_* variables: none of ours reach it.
const cliEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LATCHKEY_')));
function cli(args, input) {
  return new Promise((resolve, reject) => {
    const p = spawn(job.bin, ['--data-dir', job.data_dir, ...args], { env: cliEnv, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`latchkey ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
    p.stdin.end(input);
  });
}
// Run `fn` on every item, `n` at a time.
async function eachLimited(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) { const i = next++; await fn(items[i], i); }
  }));
}
async function addUsers(prefix, from, count) {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);
  await eachLimited(names, os.availableParallelism(), (u) =>
    cli(['user', 'add', u, '--email', `${u}@bench.example`, '--email-verified', '--password-stdin'], `${PASSWORD}\n`));
  return names;
}

// ------------------------------------------------------------------ the server
const ORIGIN = new URL(job.base).origin;
let site; // the Site, once main has read the discovery document

async function openSite() {
  const probe = new Site({ ...job, paths: {} });
  const r = await probe.req('GET', '/.well-known/openid-configuration');
  await probe.close();
  if (r.status !== 200) fail('discovery', r.status, r.text);
  const d = JSON.parse(r.text);
  const p = (u) => new URL(u).pathname;
  return new Site({ ...job, server: 'latchkey', scope: 'openid',
    paths: { authorize: p(d.authorization_endpoint), token: p(d.token_endpoint), userinfo: p(d.userinfo_endpoint) } });
}

async function postJson(jar, path, body, ip) {
  const r = await site.req('POST', path, {
    headers: { cookie: jar.header(), 'content-type': 'application/json', accept: 'application/json',
      'x-forwarded-for': ip },
    body: JSON.stringify(body) });
  jar.take(r.headers);
  return r;
}

// Sign a fresh browser in to its account page (no app involved): the jar, signed in.
async function signInToAccount(username, ip) {
  const jar = new Jar();
  const page = await site.req('GET', '/login?next=%2Faccount');
  jar.take(page.headers);
  if (page.status !== 200) fail('login page', page.status, page.text);
  const res = await site.postPassword(jar, '/login', page, { username, password: PASSWORD, ip });
  jar.take(res.headers);
  if (res.status !== 303 || res.headers.location !== '/account') fail(`sign-in of ${username} (${res.headers.location})`, res.status, res.text);
  return jar;
}

// ------------------------------------------------------------------ TOTP (RFC 6238)
const STEP_MS = 30_000;
const stepNow = () => Math.floor(Date.now() / STEP_MS);
function base32(text) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0; let acc = 0; const out = [];
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    const v = abc.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${text}`);
    acc = (acc << 5) | v; bits += 5;
    if (bits >= 8) { bits -= 8; out.push((acc >>> bits) & 0xff); }
  }
  return Buffer.from(out);
}
function totp(key, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const off = h[h.length - 1] & 0x0f;
  return String((h.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

// Set up an authenticator app for `username` on the account page. The confirming code is the
// previous step's (inside latchkey's ±1-step window), so the current step stays free for the
// measurement: latchkey accepts each user's steps only in increasing order.
async function enrolTotp(username) {
  const ip = randomClient();
  const jar = await signInToAccount(username, ip);
  const page = await site.req('GET', '/account/totp', { headers: { cookie: jar.header() } });
  jar.take(page.headers);
  if (page.status !== 200) fail('GET /account/totp', page.status, page.text);
  const m = page.text.match(/<code class="secret">([^<]+)<\/code>/);
  if (!m) fail('no key on the setup page', page.status, page.text);
  const key = base32(m[1]);
  // Not within a second of a step's end: the server must still see this step as current.
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < 1000) await new Promise((r) => setTimeout(r, left + 50));
  const step = stepNow() - 1;
  const res = await site.req('POST', '/account/totp', {
    headers: { cookie: jar.header(), 'content-type': FORM, 'x-forwarded-for': ip },
    body: formBody({ csrf_token: hidden(page.text, 'csrf_token'), enrolment: hidden(page.text, 'enrolment'),
      code: totp(key, step) }) });
  if (res.status !== 200 || !res.text.includes('recovery')) fail(`setting up an app for ${username}`, res.status, res.text);
  return { username, key, lastStep: step, busy: false };
}

// ------------------------------------------------------------------ a software authenticator
// Just enough CBOR for an attestation object and a COSE key: unsigned and negative integers,
// byte and text strings, maps (a Map, written in its order).
function cborHead(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5); b[0] = (major << 5) | 26; b.writeUInt32BE(n, 1); return b;
}
function cbor(v) {
  if (typeof v === 'number') return v >= 0 ? cborHead(0, v) : cborHead(1, -1 - v);
  if (typeof v === 'string') { const b = Buffer.from(v, 'utf8'); return Buffer.concat([cborHead(3, b.length), b]); }
  if (Buffer.isBuffer(v)) return Buffer.concat([cborHead(2, v.length), v]);
  if (v instanceof Map) return Buffer.concat([cborHead(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  throw new Error(`cbor: cannot encode ${typeof v}`);
}
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
const b64u = (b) => Buffer.from(b).toString('base64url');
const UP = 0x01; const UV = 0x04; const AT = 0x40;
function authData(rpId, flags, attested) {
  const head = Buffer.alloc(37);
  sha256(rpId).copy(head, 0);
  head[32] = flags;
  head.writeUInt32BE(0, 33); // sign count 0, as synced passkeys report it
  return attested ? Buffer.concat([head, attested]) : head;
}
function clientData(type, challenge) {
  return Buffer.from(JSON.stringify({ type, challenge: b64u(Buffer.from(challenge, 'base64url')),
    origin: ORIGIN, crossOrigin: false }));
}

// navigator.credentials.create: a new P-256 key for the options' RP and user.
function createPasskey(options) {
  const pk = options.publicKey;
  if (!pk.pubKeyCredParams.some((p) => p.alg === -7)) throw new Error('ES256 not offered');
  const rpId = pk.rp.id;
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const coseKey = cbor(new Map([[1, 2], [3, -7], [-1, 1],
    [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]));
  const id = crypto.randomBytes(32);
  const idLen = Buffer.alloc(2); idLen.writeUInt16BE(id.length);
  const attested = Buffer.concat([Buffer.alloc(16) /* AAGUID */, idLen, id, coseKey]);
  const attestationObject = cbor(new Map([['fmt', 'none'], ['attStmt', new Map()],
    ['authData', authData(rpId, UP | UV | AT, attested)]]));
  const credential = {
    id: b64u(id), rawId: b64u(id), type: 'public-key',
    response: { attestationObject: b64u(attestationObject),
      clientDataJSON: b64u(clientData('webauthn.create', pk.challenge)), transports: ['internal'] },
    extensions: {},
  };
  return { credential, key: { id, privateKey, rpId, userHandle: Buffer.from(pk.user.id, 'base64url') } };
}

// navigator.credentials.get with `key` (user verified): the assertion, with the user handle a
// usernameless sign-in needs.
function assert(options, key) {
  const pk = options.publicKey;
  if (pk.rpId && pk.rpId !== key.rpId) throw new Error(`rpId ${pk.rpId}, key of ${key.rpId}`);
  const data = authData(key.rpId, UP | UV);
  const cd = clientData('webauthn.get', pk.challenge);
  const signature = crypto.sign('sha256', Buffer.concat([data, sha256(cd)]), key.privateKey);
  return {
    id: b64u(key.id), rawId: b64u(key.id), type: 'public-key',
    response: { authenticatorData: b64u(data), clientDataJSON: b64u(cd), signature: b64u(signature),
      userHandle: b64u(key.userHandle) },
    extensions: {},
  };
}

async function enrolPasskey(username) {
  const ip = randomClient();
  const jar = await signInToAccount(username, ip);
  const page = await site.req('GET', '/account', { headers: { cookie: jar.header() } });
  jar.take(page.headers);
  if (page.status !== 200) fail('GET /account', page.status, page.text);
  const csrf = hidden(page.text, 'csrf_token');
  const begun = await postJson(jar, '/account/passkeys/begin', { csrf_token: csrf, name: 'bench' }, ip);
  if (begun.status !== 200) fail('/account/passkeys/begin', begun.status, begun.text);
  const { challenge, options } = JSON.parse(begun.text);
  const made = createPasskey(options);
  const done = await postJson(jar, '/account/passkeys/finish', { csrf_token: csrf, challenge, credential: made.credential }, ip);
  if (done.status !== 200) fail(`/account/passkeys/finish for ${username}`, done.status, done.text);
  return made.key;
}

// ------------------------------------------------------------------ the three sign-ins
function passwordSignIns(users) {
  let n = 0;
  return () => () => site.signIn({ username: users[(n++) % users.length], password: PASSWORD });
}

// Each (user, step) once, and a user's steps in increasing order: a user in flight, or who
// signed in with this step's code, waits for the next step.
class OutOfUsers extends Error {}
function totpSignIns(apps) {
  let next = 0;
  const take = () => {
    const step = stepNow();
    for (let k = 0; k < apps.length; k++) {
      const a = apps[(next + k) % apps.length];
      if (!a.busy && a.lastStep < step) { next = (next + k + 1) % apps.length; a.busy = true; return a; }
    }
    throw new OutOfUsers(`ran out of TOTP users: all ${apps.length} signed in during this 30-s step; raise --totp-users (or --max-totp-users)`);
  };
  return () => async () => {
    const app = take();
    const ip = randomClient();
    try {
      await site.signIn({ username: app.username, password: PASSWORD, ip,
        secondFactor: async (local, page, jar) => {
          const step = stepNow();
          if (step <= app.lastStep) fail(`${app.username}'s step ${step} was used`, 0, '');
          app.lastStep = step;
          const f = { csrf_token: hidden(page.text, 'csrf_token'), code: totp(app.key, step) };
          for (const k of ['req', 'next']) { const v = hidden(page.text, k); if (v) f[k] = v; }
          const r = await site.req('POST', '/login/second-factor', {
            headers: { cookie: jar.header(), 'content-type': FORM, 'x-forwarded-for': ip }, body: formBody(f) });
          if (r.status !== 303) fail('POST /login/second-factor', r.status, r.text);
          return r;
        } });
    } finally {
      app.busy = false;
    }
  };
}

function passkeySignIns(keys) {
  let n = 0;
  return () => () => {
    const key = keys[(n++) % keys.length];
    const ip = randomClient();
    return site.signIn({ loginPage: async (local, page, jar) => {
      const ctx = { csrf_token: hidden(page.text, 'csrf_token'), purpose: 'sign_in' };
      const req = hidden(page.text, 'req');
      if (req) ctx.req = req;
      const begun = await postJson(jar, '/login/passkey/begin', ctx, ip);
      if (begun.status !== 200) fail('/login/passkey/begin', begun.status, begun.text);
      const { challenge, options } = JSON.parse(begun.text);
      const done = await postJson(jar, '/login/passkey/finish', { ...ctx, challenge, credential: assert(options, key) }, ip);
      if (done.status !== 200) fail('/login/passkey/finish', done.status, done.text);
      // What passkeys.js does with the answer: go where it says (the cookies are in the jar).
      return { status: 303, headers: { location: JSON.parse(done.text).redirect }, text: '' };
    } });
  };
}

// ------------------------------------------------------------------ main
async function main() {
  const t0 = Date.now();
  site = await openSite();
  const nUsers = Math.max(1, job.users || C);
  const workers = () => Array.from({ length: C }, () => ({}));
  // One measurement, with the requests each sign-in took (every request counted: with no
  // errors that is exactly the flow's).
  const run = async (make) => {
    const r0 = site.requests;
    const m = await measure(window, workers(), make);
    m.requests_per_op = (site.requests - r0) / (m.completed || 1);
    return m;
  };
  const window = { warmup: job.warmup ?? 1, duration: job.duration, server_pid: job.server_pid };

  say(`${nUsers} password users and ${nUsers} passkey users (CLI), passkeys registered through /account/passkeys`);
  const pwUsers = await addUsers('pw', 0, nUsers);
  const pkUsers = await addUsers('pk', 0, nUsers);
  const keys = [];
  await eachLimited(pkUsers, C, async (u) => { keys.push(await enrolPasskey(u)); });

  say(`password sign-ins, ${job.duration} s at ${C}`);
  const password = await run(passwordSignIns(pwUsers));

  // Enough TOTP users that none signs in twice in one step: the password rate over the
  // warm-up and the window (at most one step), half again, plus those in flight.
  const secs = Math.min(window.warmup + window.duration, STEP_MS / 1000);
  const need = Math.ceil(password.rate * secs * 1.5) + 2 * C;
  let nTotp = job.totp_users || need;
  if (nTotp > job.max_totp_users) {
    say(`${need} TOTP users would be needed, capped at --max-totp-users ${job.max_totp_users}: the run may run out of them`);
    nTotp = job.max_totp_users;
  }
  say(`${nTotp} password + TOTP users (CLI), apps set up through /account/totp`);
  const t1 = Date.now();
  const totpNames = await addUsers('otp', 0, nTotp);
  const apps = [];
  await eachLimited(totpNames, C, async (u) => { apps.push(await enrolTotp(u)); });
  const setupTotpS = (Date.now() - t1) / 1000;

  say(`password + TOTP sign-ins, ${job.duration} s at ${C}`);
  const totpR = await run(totpSignIns(apps));
  say(`passkey sign-ins, ${job.duration} s at ${C}`);
  const passkey = await run(passkeySignIns(keys));

  const out = { password, totp: totpR, passkey,
    users: { password: nUsers, totp: nTotp, totp_needed: need, passkey: nUsers },
    setup_totp_s: setupTotpS, total_s: (Date.now() - t0) / 1000 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await site.close();
}

guard(3 * ((job.duration || 0) + (job.warmup ?? 1)) + 900, 'second_factor.mjs');
main().catch((e) => {
  process.stderr.write(`second_factor.mjs: ${e instanceof Failure ? e.message : e.stack || e}\n`);
  process.exit(2);
});
