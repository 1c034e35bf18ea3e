// The load driver for the multi-step scenarios of bench/run: keep-alive HTTP/1.1 through
// undici connection pools, one Node process, `concurrency` virtual browsers or clients.
//
//   node driver.mjs '<json job>' | @job.json     prints one JSON result line on stdout
//
// Job fields:
//   scenario   codeflow | refresh | login | tokens
//   server     latchkey | peer          (the two differ only in URLs and form fields)
//   base       http://127.0.0.1:PORT
//   client_id, client_secret, redirect_uri, scope
//   concurrency, duration (s), warmup (s)
//   paths      { authorize, token, userinfo } from the server's discovery document
//   sessions   [cookie header values]   (codeflow/refresh: browsers already signed in; each
//                                         virtual browser takes one, round robin)
//   random_session  codeflow: every flow takes a random one of `sessions` instead
//   users      [usernames], password    (login: who signs in; codeflow/refresh without
//                                         sessions sign in once per virtual browser first)
//   count      (tokens) how many refresh tokens + access tokens to hand back
//
// A result: { ops, errors, rate, p50_ms, p99_ms, cpu_s, error_samples, ... }.
// Any unexpected status is an error (counted, a few samples kept); the operation is dropped.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

// undici is installed with the peer's dependencies (bench/peer/package.json).
const { Pool } = createRequire(new URL('./peer/package.json', import.meta.url))('undici');

import fs from 'node:fs';

const arg = process.argv[2];
const job = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg);
const base = new URL(job.base);
const pool = new Pool(base.origin, {
  connections: Math.max(1, job.concurrency || 1) + 2,
  pipelining: 1,
  keepAliveTimeout: 60_000,
  connect: { timeout: 10_000 },
  headersTimeout: 60_000,
  bodyTimeout: 60_000,
});
const basic = `Basic ${Buffer.from(
  `${encodeURIComponent(job.client_id)}:${encodeURIComponent(job.client_secret)}`,
).toString('base64')}`;
const isPeer = job.server === 'peer';
// Endpoint paths come from each server's discovery document (bench.mjs reads it).
const paths = job.paths;

class Failure extends Error {}
const errorSamples = [];
function fail(what, status, body) {
  throw new Failure(`${what}: HTTP ${status} ${String(body || '').slice(0, 200)}`);
}

// ------------------------------------------------------------------ HTTP helpers
async function req(method, path, { headers = {}, body } = {}) {
  const r = await pool.request({ method, path, headers, body });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, text };
}
class Jar {
  constructor(initial) {
    this.c = new Map();
    if (initial) for (const part of initial.split(/;\s*/)) {
      const i = part.indexOf('=');
      if (i > 0) this.c.set(part.slice(0, i), part.slice(i + 1));
    }
  }
  take(headers) {
    let sc = headers['set-cookie'];
    if (!sc) return;
    if (!Array.isArray(sc)) sc = [sc];
    for (const line of sc) {
      const first = line.split(';')[0];
      const i = first.indexOf('=');
      const name = first.slice(0, i).trim();
      const value = first.slice(i + 1).trim();
      const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(line);
      if (!value || expired) this.c.delete(name); else this.c.set(name, value);
    }
  }
  header() { return [...this.c].map(([k, v]) => `${k}=${v}`).join('; '); }
}
function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}
function authorizePath(challenge) {
  const q = new URLSearchParams({
    response_type: 'code', client_id: job.client_id, redirect_uri: job.redirect_uri,
    scope: job.scope || 'openid', state: crypto.randomBytes(8).toString('hex'),
    nonce: crypto.randomBytes(8).toString('hex'),
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  return `${paths.authorize}?${q}`;
}
function pathOf(location) {
  const u = new URL(location, base);
  return u.origin === base.origin ? u.pathname + u.search : null;
}
function hidden(html, name) {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  return m ? m[1] : null;
}
const randomClient = () => `10.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}.${(Math.random() * 254 + 1) | 0}`;
const formBody = (o) => new URLSearchParams(o).toString();
const FORM = 'application/x-www-form-urlencoded';

// Follow our own redirects from `res` until one leaves for the client; returns the code.
// Signs in on the login page (latchkey /login, peer /interaction/...) when one is shown.
async function followToCode(jar, res, login) {
  for (let hops = 0; hops < 10; hops++) {
    jar.take(res.headers);
    if (res.status < 300 || res.status >= 400) fail('authorize chain', res.status, res.text);
    const loc = res.headers.location;
    const local = pathOf(loc);
    if (local === null) {
      const u = new URL(loc);
      const code = u.searchParams.get('code');
      if (!code) fail(`callback without code (${loc})`, res.status, '');
      return code;
    }
    let page = await req('GET', local, { headers: { cookie: jar.header() } });
    jar.take(page.headers);
    const isLogin = isPeer ? /^\/interaction\//.test(local) && page.status === 200
      : local.startsWith('/login');
    if (isLogin) {
      if (!login) fail('login page shown to a signed-in browser', page.status, local);
      if (page.status !== 200) fail('login page', page.status, page.text);
      let path; let body;
      if (isPeer) {
        path = `${new URL(local, base).pathname}/login`;
        body = formBody({ username: login.username, password: login.password });
      } else {
        const f = { username: login.username, password: login.password,
          csrf_token: hidden(page.text, 'csrf_token') };
        const r = hidden(page.text, 'req');
        if (r) f.req = r;
        path = '/login';
        body = formBody(f);
      }
      // Each sign-in comes from a person of its own: latchkey (run with trusted_proxies =
      // 127.0.0.1) throttles per client address, and one address may have only two password
      // checks in flight. The peer ignores the header.
      page = await req('POST', path, {
        headers: { cookie: jar.header(), 'content-type': FORM, 'x-forwarded-for': randomClient() },
        body });
      if (login.done) login.done();
    }
    res = page;
  }
  fail('too many redirects', 0, '');
}

async function exchangeCode(code, verifier) {
  const r = await req('POST', paths.token, {
    headers: { authorization: basic, 'content-type': FORM, accept: 'application/json' },
    body: formBody({ grant_type: 'authorization_code', code, code_verifier: verifier,
      redirect_uri: job.redirect_uri }),
  });
  if (r.status !== 200) fail('token (code)', r.status, r.text);
  return JSON.parse(r.text);
}
async function userinfo(at) {
  const r = await req('GET', paths.userinfo, { headers: { authorization: `Bearer ${at}` } });
  if (r.status !== 200) fail('userinfo', r.status, r.text);
  return JSON.parse(r.text);
}
async function refresh(rt) {
  const r = await req('POST', paths.token, {
    headers: { authorization: basic, 'content-type': FORM, accept: 'application/json' },
    body: formBody({ grant_type: 'refresh_token', refresh_token: rt }),
  });
  if (r.status !== 200) fail('token (refresh)', r.status, r.text);
  const t = JSON.parse(r.text);
  if (!t.refresh_token || !t.access_token) fail('refresh gave no new tokens', r.status, r.text);
  return t;
}

// One complete code flow for a browser (jar): authorize -> code -> token -> userinfo.
async function codeFlow(jar, login) {
  const { verifier, challenge } = pkce();
  const res = await req('GET', authorizePath(challenge), { headers: { cookie: jar.header() } });
  const code = await followToCode(jar, res, login);
  const tokens = await exchangeCode(code, verifier);
  await userinfo(tokens.access_token);
  return tokens;
}

// A virtual browser that is signed in: a given session cookie, or sign in once now.
async function signedInBrowser(i) {
  if (job.sessions?.length) return new Jar(job.sessions[i % job.sessions.length]);
  const jar = new Jar();
  const users = job.users;
  await codeFlow(jar, { username: users[i % users.length], password: job.password });
  return jar;
}

// ------------------------------------------------------------------ timing loop
function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
async function measure(workers, makeOp) {
  const warmup = (job.warmup ?? 1) * 1000;
  const duration = job.duration * 1000;
  const t0 = performance.now();
  const start = t0 + warmup;
  const end = start + duration;
  const lat = [];
  let ops = 0; let errors = 0; let completed = 0; let cpu0 = null;
  setTimeout(() => { cpu0 = process.cpuUsage(); }, warmup).unref();
  await Promise.all(workers.map(async (w, i) => {
    const op = makeOp(w, i);
    for (;;) {
      const a = performance.now();
      if (a >= end) break;
      try {
        await op();
        const b = performance.now();
        completed += 1;
        // Every operation that completes inside the window counts (a flow may have begun
        // during the warm-up); none is begun after it.
        if (b >= start && b <= end) { ops += 1; lat.push(b - a); }
      } catch (e) {
        errors += 1; // any error, warm-up included, is a problem
        if (errorSamples.length < 5) errorSamples.push(String(e.message || e));
        if (!(e instanceof Failure)) await new Promise((r) => setTimeout(r, 50));
        await w.recover?.();
      }
    }
  }));
  const cpu = process.cpuUsage(cpu0 ?? undefined);
  lat.sort((x, y) => x - y);
  const secs = duration / 1000;
  return { ops, completed, errors, rate: ops / secs, p50_ms: pct(lat, 50), p99_ms: pct(lat, 99),
    driver_cpu_s: (cpu.user + cpu.system) / 1e6, seconds: secs };
}

// ------------------------------------------------------------------ scenarios
async function main() {
  const c = job.concurrency;
  let out;
  if (job.scenario === 'codeflow') {
    const browsers = [];
    for (let i = 0; i < c; i++) browsers.push(await signedInBrowser(i));
    const pick = () => new Jar(job.sessions[Math.floor(Math.random() * job.sessions.length)]);
    out = await measure(browsers, (jar) => () => codeFlow(job.random_session ? pick() : jar, null));
  } else if (job.scenario === 'refresh') {
    // Each virtual client holds one refresh token family and rotates it as fast as it can.
    const holders = [];
    for (let i = 0; i < c; i++) {
      const jar = await signedInBrowser(i);
      const t = await codeFlow(jar, null);
      if (!t.refresh_token) fail('the code flow gave no refresh token', 200, JSON.stringify(t));
      const h = { rt: t.refresh_token, jar };
      h.recover = async () => { h.rt = (await codeFlow(jar, null)).refresh_token; };
      holders.push(h);
    }
    out = await measure(holders, (h) => async () => { h.rt = (await refresh(h.rt)).refresh_token; });
  } else if (job.scenario === 'login') {
    // A fresh browser each time: authorize -> login page -> password -> code (no token).
    let n = 0;
    const workers = Array.from({ length: c }, () => ({}));
    out = await measure(workers, () => async () => {
      const user = job.users[(n++) % job.users.length];
      const jar = new Jar();
      const { challenge } = pkce();
      let posted = false;
      const res = await req('GET', authorizePath(challenge), {});
      await followToCode(jar, res, { username: user, password: job.password, done: () => { posted = true; } });
      if (!posted) fail('no login page was shown', 0, '');
    });
  } else if (job.scenario === 'tokens') {
    // Hand back tokens for the single-request scenarios (userinfo, introspection via wrk).
    const jar = await signedInBrowser(0);
    const t = await codeFlow(jar, null);
    out = { access_token: t.access_token, refresh_token: t.refresh_token, session: jar.header() };
  } else if (job.scenario === 'signin') {
    // Sign `count` browsers in and hand back their session cookies.
    const sessions = [];
    for (let i = 0; i < (job.count || 1); i++) {
      const jar = new Jar();
      await codeFlow(jar, { username: job.users[i % job.users.length], password: job.password });
      sessions.push(jar.header());
    }
    out = { sessions };
  } else {
    throw new Error(`unknown scenario ${job.scenario}`);
  }
  out.error_samples = errorSamples;
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await pool.close();
}

const guard = setTimeout(() => {
  process.stderr.write('driver: timed out\n');
  process.exit(3);
}, ((job.duration || 0) + (job.warmup ?? 1) + 120) * 1000);
guard.unref();
main().catch((e) => {
  process.stderr.write(`driver: ${e.stack || e}\n`);
  process.exit(2);
});
