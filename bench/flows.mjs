// What the benchmark's Node drivers share (driver.mjs, second_factor.mjs): an undici keep-alive
// pool per server, a cookie jar, PKCE, following an authorization request through our own pages
// to the code (signing in when the login page comes), and the timing loop.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';

// undici is installed with the peer's dependencies (bench/peer/package.json).
const { Pool } = createRequire(new URL('./peer/package.json', import.meta.url))('undici');

// Any unexpected answer: counted as an error by `measure`, the operation dropped.
export class Failure extends Error {}
export function fail(what, status, body) {
  throw new Failure(`${what}: HTTP ${status} ${String(body || '').slice(0, 200)}`);
}

export class Jar {
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

export function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}
// The value of a hidden form field on a page.
export function hidden(html, name) {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  return m ? m[1] : null;
}
// A made-up client address: latchkey (run with trusted_proxies = 127.0.0.1) throttles per
// address, and one address may have only two password checks in flight.
export const randomClient = () => `10.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}.${(Math.random() * 254 + 1) | 0}`;
export const formBody = (o) => new URLSearchParams(o).toString();
export const FORM = 'application/x-www-form-urlencoded';

// One server as seen by the drivers. `job`: base, client_id, client_secret, redirect_uri,
// scope, paths ({ authorize, token, userinfo }), concurrency, server (latchkey | peer).
export class Site {
  constructor(job) {
    this.job = job;
    this.base = new URL(job.base);
    this.paths = job.paths;
    this.isPeer = job.server === 'peer';
    this.requests = 0; // sent, for requests-per-operation figures
    this.pool = new Pool(this.base.origin, {
      connections: Math.max(1, job.concurrency || 1) + 2,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      connect: { timeout: 10_000 },
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    this.basic = `Basic ${Buffer.from(
      `${encodeURIComponent(job.client_id)}:${encodeURIComponent(job.client_secret)}`,
    ).toString('base64')}`;
  }

  close() { return this.pool.close(); }

  async req(method, path, { headers = {}, body } = {}) {
    this.requests += 1;
    const r = await this.pool.request({ method, path, headers, body });
    const text = await r.body.text();
    return { status: r.statusCode, headers: r.headers, text };
  }

  authorizePath(challenge) {
    const job = this.job;
    const q = new URLSearchParams({
      response_type: 'code', client_id: job.client_id, redirect_uri: job.redirect_uri,
      scope: job.scope || 'openid', state: crypto.randomBytes(8).toString('hex'),
      nonce: crypto.randomBytes(8).toString('hex'),
      code_challenge: challenge, code_challenge_method: 'S256',
    });
    return `${this.paths.authorize}?${q}`;
  }

  // The path of a redirect to this server, or null when it leaves for the client.
  pathOf(location) {
    const u = new URL(location, this.base);
    return u.origin === this.base.origin ? u.pathname + u.search : null;
  }

  // Follow our own redirects from `res` until one leaves for the client; returns the code.
  // On the login page (latchkey /login, peer /interaction/...) `login` signs in: with
  // `username`/`password` by the form, or `login.loginPage(local, page, jar)` does it and
  // returns the next response; `login.secondFactor(local, page, jar)` answers latchkey's
  // second-factor page (shown to no one else: there it is an error). `login.done()` is called
  // once signed in; `login.ip` is the browser's address (random when not given).
  async followToCode(jar, res, login) {
    for (let hops = 0; hops < 10; hops++) {
      jar.take(res.headers);
      if (res.status < 300 || res.status >= 400) fail('authorize chain', res.status, res.text);
      const loc = res.headers.location;
      const local = this.pathOf(loc);
      if (local === null) {
        const u = new URL(loc);
        const code = u.searchParams.get('code');
        if (!code) fail(`callback without code (${loc})`, res.status, '');
        return code;
      }
      let page = await this.req('GET', local, { headers: { cookie: jar.header() } });
      jar.take(page.headers);
      const isSecondFactor = !this.isPeer && local.startsWith('/login/second-factor');
      const isLogin = this.isPeer ? /^\/interaction\//.test(local) && page.status === 200
        : local.startsWith('/login') && !isSecondFactor;
      if (isSecondFactor) {
        if (!login?.secondFactor) fail('second-factor page shown', page.status, local);
        if (page.status !== 200) fail('second-factor page', page.status, page.text);
        page = await login.secondFactor(local, page, jar);
      } else if (isLogin) {
        if (!login) fail('login page shown to a signed-in browser', page.status, local);
        if (page.status !== 200) fail('login page', page.status, page.text);
        page = login.loginPage ? await login.loginPage(local, page, jar)
          : await this.postPassword(jar, local, page, login);
        if (login.done) login.done();
      }
      res = page;
    }
    fail('too many redirects', 0, '');
  }

  // POST the login form of `page` (at `local`) with login.username / login.password.
  async postPassword(jar, local, page, login) {
    let path; let body;
    if (this.isPeer) {
      path = `${new URL(local, this.base).pathname}/login`;
      body = formBody({ username: login.username, password: login.password });
    } else {
      const f = { username: login.username, password: login.password,
        csrf_token: hidden(page.text, 'csrf_token') };
      for (const k of ['req', 'next']) {
        const v = hidden(page.text, k);
        if (v) f[k] = v;
      }
      path = '/login';
      body = formBody(f);
    }
    // Each sign-in comes from a person of its own (see randomClient). The peer ignores the
    // header.
    return this.req('POST', path, {
      headers: { cookie: jar.header(), 'content-type': FORM,
        'x-forwarded-for': login.ip || randomClient() },
      body });
  }

  async exchangeCode(code, verifier) {
    const r = await this.req('POST', this.paths.token, {
      headers: { authorization: this.basic, 'content-type': FORM, accept: 'application/json' },
      body: formBody({ grant_type: 'authorization_code', code, code_verifier: verifier,
        redirect_uri: this.job.redirect_uri }),
    });
    if (r.status !== 200) fail('token (code)', r.status, r.text);
    return JSON.parse(r.text);
  }

  async userinfo(at) {
    const r = await this.req('GET', this.paths.userinfo, { headers: { authorization: `Bearer ${at}` } });
    if (r.status !== 200) fail('userinfo', r.status, r.text);
    return JSON.parse(r.text);
  }

  async refresh(rt) {
    const r = await this.req('POST', this.paths.token, {
      headers: { authorization: this.basic, 'content-type': FORM, accept: 'application/json' },
      body: formBody({ grant_type: 'refresh_token', refresh_token: rt }),
    });
    if (r.status !== 200) fail('token (refresh)', r.status, r.text);
    const t = JSON.parse(r.text);
    if (!t.refresh_token || !t.access_token) fail('refresh gave no new tokens', r.status, r.text);
    return t;
  }

  // One complete code flow for a browser (jar): authorize -> code -> token -> userinfo.
  async codeFlow(jar, login) {
    const { verifier, challenge } = pkce();
    const res = await this.req('GET', this.authorizePath(challenge), { headers: { cookie: jar.header() } });
    const code = await this.followToCode(jar, res, login);
    const tokens = await this.exchangeCode(code, verifier);
    await this.userinfo(tokens.access_token);
    return tokens;
  }

  // A fresh browser signs in for a new authorization request: authorize -> login page ->
  // (`login` signs in) -> code. No token: the sign-in is what is measured.
  async signIn(login) {
    const jar = new Jar();
    const { challenge } = pkce();
    let posted = false;
    const res = await this.req('GET', this.authorizePath(challenge), {});
    await this.followToCode(jar, res, { ...login, done: () => { posted = true; } });
    if (!posted) fail('no login page was shown', 0, '');
    return jar;
  }
}

// ------------------------------------------------------------------ timing loop
// CPU seconds a process has used (utime + stime; USER_HZ = 100), or null.
export function cpuSecs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return null; }
}

// CPU seconds of a process and all its descendants (live ones, plus what the exited ones
// left in their parents' cutime + cstime once reaped), or null when `pid` is gone. For a
// PostgreSQL cluster, the postmaster's pid covers every backend and auxiliary process.
export function cpuTreeSecs(pid) {
  const stats = new Map(); // pid -> { ppid, own, reaped }
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch { return null; }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(n), { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]),
        reaped: Number(f[13]) + Number(f[14]) });
    } catch { /* exited meanwhile */ }
  }
  if (!stats.has(pid)) return null;
  let ticks = stats.get(pid).own + stats.get(pid).reaped;
  const tree = new Set([pid]);
  // Processes are listed in pid order, which is not ancestry order: repeat until stable.
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, s] of stats) {
      if (!tree.has(p) && tree.has(s.ppid)) { tree.add(p); ticks += s.own + s.reaped; grew = true; }
    }
  }
  return ticks / 100;
}

export function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// Run `makeOp(worker, i)()` in a loop on every worker for `warmup` + `duration` seconds.
// A result: { ops, completed, errors, rate, p50_ms, p99_ms, driver_cpu_s, seconds, window_ms
// (the measured window's start and end, epoch ms),
// error_samples }, and server_cpu_s over the window when `server_pid` is given, and
// cpu_by { name: seconds } when `cpu_trees` ({ name: [pid, ...] }) is: each pid with its
// descendants (cpuTreeSecs), summed per name. Any error,
// warm-up included, counts; an operation begun in the warm-up that completes in the window
// counts, none is begun after it.
export async function measure({ warmup = 1, duration, server_pid, cpu_trees }, workers, makeOp) {
  const treeCpu = () => Object.fromEntries(Object.entries(cpu_trees || {})
    .map(([k, pids]) => [k, pids.reduce((a, p) => a + (cpuTreeSecs(p) ?? NaN), 0)]));
  let trees0 = null;
  const warmupMs = warmup * 1000;
  const durationMs = duration * 1000;
  const t0 = performance.now();
  const start = t0 + warmupMs;
  const end = start + durationMs;
  const lat = [];
  const errorSamples = [];
  let ops = 0; let errors = 0; let completed = 0; let cpu0 = null; let server0 = null;
  setTimeout(() => {
    cpu0 = process.cpuUsage();
    if (server_pid) server0 = cpuSecs(server_pid);
    if (cpu_trees) trees0 = treeCpu();
  }, warmupMs).unref();
  await Promise.all(workers.map(async (w, i) => {
    const op = makeOp(w, i);
    for (;;) {
      const a = performance.now();
      if (a >= end) break;
      try {
        await op();
        const b = performance.now();
        completed += 1;
        if (b >= start && b <= end) { ops += 1; lat.push(b - a); }
      } catch (e) {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(String(e.message || e));
        if (!(e instanceof Failure)) await new Promise((r) => setTimeout(r, 50));
        await w.recover?.();
      }
    }
  }));
  const cpu = process.cpuUsage(cpu0 ?? undefined);
  const server1 = server_pid ? cpuSecs(server_pid) : null;
  const trees1 = cpu_trees && trees0 ? treeCpu() : null;
  lat.sort((x, y) => x - y);
  const secs = durationMs / 1000;
  return { ops, completed, errors, rate: ops / secs, window_ms: [Date.now() - (performance.now() - start), Date.now() - (performance.now() - end)], p50_ms: pct(lat, 50), p99_ms: pct(lat, 99),
    driver_cpu_s: (cpu.user + cpu.system) / 1e6, seconds: secs, error_samples: errorSamples,
    ...(server0 !== null && server1 !== null ? { server_cpu_s: server1 - server0 } : {}),
    ...(trees1 ? { cpu_by: Object.fromEntries(Object.keys(trees1).map((k) => [k, trees1[k] - trees0[k]])) } : {}) };
}

// Exit with code 3 if the driver is still running `seconds` from now.
export function guard(seconds, who) {
  setTimeout(() => {
    process.stderr.write(`${who}: timed out\n`);
    process.exit(3);
  }, seconds * 1000).unref();
}
