// The browser half of the code flow, with plain fetch: a tiny cookie jar, manual redirects,
// and the login and consent forms filled in from the HTML. Only ever talks to 127.0.0.1.

import assert from 'node:assert/strict';

const MAX_STEPS = 12;

/** name=value cookies, sent back on every request (all requests go to one origin). */
export class CookieJar {
  constructor() {
    this.cookies = new Map();
  }

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v = ''] = a.trim().split('=');
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** The value attribute of the input with this name, or undefined. */
export function inputValue(html, name) {
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    const tag = m[0];
    const n = /\bname="([^"]*)"/.exec(tag);
    if (n && n[1] === name) {
      const v = /\bvalue="([^"]*)"/.exec(tag);
      return v ? decodeEntities(v[1]) : '';
    }
  }
  return undefined;
}

function decodeEntities(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function assertLocal(url, issuer) {
  const u = new URL(url);
  assert.equal(u.hostname, '127.0.0.1', `refusing to request ${url}: not 127.0.0.1`);
  assert.equal(u.origin, new URL(issuer).origin, `refusing to request ${url}: not the issuer`);
}

export async function request(jar, url, init = {}) {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(url, {
    ...init,
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  jar.store(res);
  return res;
}

/**
 * Drive an authorization request to the client's redirect_uri, like a browser.
 * Returns { callback: URL, trace: [{ method, path, status }], sawLogin, sawConsent }.
 * `decision` is what to press on a consent page ('allow' or 'deny').
 */
export async function authorize(jar, authorizationUrl, { issuer, redirectUri, user, decision = 'allow' }) {
  const trace = [];
  let url = authorizationUrl.toString();
  let method = 'GET';
  let body;
  for (let step = 0; step < MAX_STEPS; step++) {
    assertLocal(url, issuer);
    const res = await request(jar, url, {
      method,
      body,
      headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : undefined,
    });
    const here = new URL(url);
    trace.push({ method, path: here.pathname, status: res.status });

    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      const location = res.headers.get('location');
      assert.ok(location, `${method} ${here.pathname} answered ${res.status} without Location`);
      const next = new URL(location, url);
      if (`${next.origin}${next.pathname}` === redirectUri) {
        return {
          callback: next,
          trace,
          sawLogin: trace.some((t) => t.path === '/login'),
          sawConsent: trace.some((t) => t.path === '/consent'),
        };
      }
      url = next.toString();
      method = 'GET';
      body = undefined;
      continue;
    }

    const html = await res.text();
    assert.equal(
      res.status,
      200,
      `${method} ${here.pathname} answered ${res.status}: ${html.slice(0, 500)}`,
    );
    const csrf = inputValue(html, 'csrf_token');
    const req = inputValue(html, 'req');
    assert.ok(csrf, `no csrf_token on ${here.pathname}`);
    assert.ok(req, `no req on ${here.pathname}`);
    if (here.pathname === '/login') {
      assert.ok(user, 'the login form was shown but no user was given');
      assert.match(html, /name="username"/);
      assert.match(html, /name="password"/);
      body = new URLSearchParams({
        username: user.username,
        password: user.password,
        csrf_token: csrf,
        req,
      }).toString();
    } else if (here.pathname === '/consent') {
      assert.match(html, /name="decision" value="allow"/);
      assert.match(html, /name="decision" value="deny"/);
      body = new URLSearchParams({ csrf_token: csrf, req, decision }).toString();
    } else {
      assert.fail(`unexpected page ${here.pathname}: ${html.slice(0, 500)}`);
    }
    url = new URL(here.pathname, url).toString();
    method = 'POST';
  }
  assert.fail(`no redirect to the client after ${MAX_STEPS} steps: ${JSON.stringify(trace)}`);
}
