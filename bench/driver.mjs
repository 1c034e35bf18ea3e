// The load driver for the multi-step scenarios of bench/run: keep-alive HTTP/1.1 through
// undici connection pools, one Node process, `concurrency` virtual browsers or clients
// (the browser side itself is in flows.mjs, shared with second_factor.mjs).
//
//   node driver.mjs '<json job>' | @job.json     prints one JSON result line on stdout
//
// Job fields:
//   scenario   codeflow | refresh | login | tokens | signin
//   server     latchkey | peer          (the two differ only in URLs and form fields)
//   base       http://127.0.0.1:PORT
//   bases      [base, ...]  (codeflow/refresh, optional) several nodes of one issuer: virtual
//              browser i talks to bases[i % n] only (base, the issuer, is then unused)
//   client_id, client_secret, redirect_uri, scope
//   concurrency, duration (s), warmup (s)
//   paths      { authorize, token, userinfo } from the server's discovery document
//   sessions   [cookie header values]   (codeflow/refresh: browsers already signed in; each
//                                         virtual browser takes one, round robin)
//   random_session  codeflow: every flow takes a random one of `sessions` instead
//   users      [usernames], password    (login: who signs in; codeflow/refresh without
//                                         sessions sign in once per virtual browser first)
//   count      (tokens) how many refresh tokens + access tokens to hand back
//   cpu_trees  { name: [pid, ...] }  CPU of each pid and its descendants over the window,
//              summed per name, reported as cpu_by (flows.mjs measure)
//
// A result: { ops, errors, rate, p50_ms, p99_ms, cpu_s, error_samples, ... }.
// Any unexpected status is an error (counted, a few samples kept); the operation is dropped.
import fs from 'node:fs';
import { Jar, Site, fail, guard, measure } from './flows.mjs';

const arg = process.argv[2];
const job = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg);
const site = new Site(job);
// One pool per node when the browsers are spread over several; else just `site`.
const sites = job.bases?.length ? job.bases.map((base) => new Site({ ...job, base })) : [site];
const siteOf = (i) => sites[i % sites.length];

// A virtual browser that is signed in: a given session cookie, or sign in once now.
async function signedInBrowser(i) {
  if (job.sessions?.length) return new Jar(job.sessions[i % job.sessions.length]);
  const jar = new Jar();
  const users = job.users;
  await siteOf(i).codeFlow(jar, { username: users[i % users.length], password: job.password });
  return jar;
}

async function main() {
  const c = job.concurrency;
  let out;
  if (job.scenario === 'codeflow') {
    const browsers = [];
    for (let i = 0; i < c; i++) browsers.push(await signedInBrowser(i));
    const pick = () => new Jar(job.sessions[Math.floor(Math.random() * job.sessions.length)]);
    out = await measure(job, browsers, (jar, i) => () => siteOf(i).codeFlow(job.random_session ? pick() : jar, null));
  } else if (job.scenario === 'refresh') {
    // Each virtual client holds one refresh token family and rotates it as fast as it can.
    const holders = [];
    for (let i = 0; i < c; i++) {
      const jar = await signedInBrowser(i);
      const t = await siteOf(i).codeFlow(jar, null);
      if (!t.refresh_token) fail('the code flow gave no refresh token', 200, JSON.stringify(t));
      const h = { rt: t.refresh_token, jar, site: siteOf(i) };
      h.recover = async () => { h.rt = (await h.site.codeFlow(jar, null)).refresh_token; };
      holders.push(h);
    }
    out = await measure(job, holders, (h) => async () => { h.rt = (await h.site.refresh(h.rt)).refresh_token; });
  } else if (job.scenario === 'login') {
    // A fresh browser each time: authorize -> login page -> password -> code (no token).
    let n = 0;
    const workers = Array.from({ length: c }, () => ({}));
    out = await measure(job, workers, () => () =>
      site.signIn({ username: job.users[(n++) % job.users.length], password: job.password }));
  } else if (job.scenario === 'tokens') {
    // Hand back tokens for the single-request scenarios (userinfo, introspection via wrk).
    const jar = await signedInBrowser(0);
    const t = await site.codeFlow(jar, null);
    out = { access_token: t.access_token, refresh_token: t.refresh_token, session: jar.header() };
  } else if (job.scenario === 'signin') {
    // Sign `count` browsers in and hand back their session cookies.
    const sessions = [];
    for (let i = 0; i < (job.count || 1); i++) {
      const jar = new Jar();
      await site.codeFlow(jar, { username: job.users[i % job.users.length], password: job.password });
      sessions.push(jar.header());
    }
    out = { sessions };
  } else {
    throw new Error(`unknown scenario ${job.scenario}`);
  }
  out.error_samples ??= [];
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await Promise.all([...new Set([site, ...sites])].map((s) => s.close()));
}

guard((job.duration || 0) + (job.warmup ?? 1) + 120, 'driver');
main().catch((e) => {
  process.stderr.write(`driver: ${e.stack || e}\n`);
  process.exit(2);
});
