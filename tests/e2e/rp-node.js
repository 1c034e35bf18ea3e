// A tiny demo relying party ("RP B" of the browser end-to-end tests), built on openid-client
// and node:http: discovery, the code flow with PKCE, state and nonce, a verified ID token,
// RP-initiated logout and back-channel logout (logout token verified with jose against the
// provider's JWKS). Its page shows who is signed in. Sessions live in memory, keyed by a cookie.
//
// Configuration (environment): DEMO_RP_ISSUER, DEMO_RP_CLIENT_ID, DEMO_RP_CLIENT_SECRET,
// DEMO_RP_PORT, DEMO_RP_NAME. Listens on 127.0.0.1 only.
//
// Routes: / (who is signed in), /login, /callback, /logout, POST /backchannel_logout.

import http from 'node:http';
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

function setting(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`rp-node: set ${name}`);
    process.exit(2);
  }
  return v;
}

const issuer = setting('DEMO_RP_ISSUER');
const clientId = setting('DEMO_RP_CLIENT_ID');
const clientSecret = setting('DEMO_RP_CLIENT_SECRET');
const port = Number(setting('DEMO_RP_PORT'));
const name = process.env.DEMO_RP_NAME || 'Demo B';
const base = `http://127.0.0.1:${port}`;
const cookieName = `demo_rp_${clientId.replace(/[^A-Za-z0-9]/g, '_')}`;

async function discover() {
  let last;
  for (let i = 0; i < 40; i++) {
    try {
      return await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, {
        // Plain http on 127.0.0.1 only (tests); ID token signatures are always checked.
        execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
        timeout: 10,
      });
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`discovery at ${issuer} failed: ${last?.message}`);
}

const config = await discover();
const meta = config.serverMetadata();
const jwks = createRemoteJWKSet(new URL(meta.jwks_uri), { timeoutDuration: 5000 });

/** browser id -> { state, nonce, verifier } while signing in */
const pending = new Map();
/** browser id -> { username, sub, sid, idToken } */
const signed = new Map();
/** state values of logouts we started */
const logoutStates = new Set();

const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function browserId(req) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === cookieName) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const newId = () => crypto.randomBytes(18).toString('base64url');
const setCookie = (id) => `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Lax`;

function page(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
      `<meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>${esc(name)}</title></head>\n<body><h1>${esc(name)}</h1>\n${body}\n</body></html>\n`,
  );
}

function redirect(res, location, headers = {}) {
  res.writeHead(302, { location, 'cache-control': 'no-store', ...headers });
  res.end();
}

const failed = (res, status, why) =>
  page(res, status, `<p id="status" role="alert">Sign-in failed: ${esc(why)}</p>\n<p><a href="/">Back</a></p>`);

function home(req, res, url) {
  const u = signed.get(browserId(req));
  if (u) {
    return page(
      res,
      200,
      `<p id="status">Signed in as <strong id="username">${esc(u.username)}</strong></p>\n` +
        `<p class="small">sub <code id="sub">${esc(u.sub)}</code>, sid <code id="sid">${esc(u.sid ?? '-')}</code></p>\n` +
        `<p><a href="/logout" id="logout">Sign out</a></p>`,
    );
  }
  const state = url.searchParams.get('state');
  const signedOutNow = state !== null && logoutStates.delete(state);
  page(
    res,
    200,
    (signedOutNow ? '<p id="notice">You have signed out.</p>\n' : '') +
      '<p id="status">Not signed in</p>\n<p><a href="/login" id="login">Sign in</a></p>',
  );
}

async function login(req, res) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const target = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${base}/callback`,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const id = browserId(req) ?? newId();
  pending.set(id, { state, nonce, verifier });
  redirect(res, target.href, { 'set-cookie': setCookie(id) });
}

async function callback(req, res, url) {
  const id = browserId(req);
  const p = id && pending.get(id);
  if (!p) return failed(res, 400, 'no sign-in in progress');
  pending.delete(id);
  let tokens;
  try {
    // Checks iss (RFC 9207), state, an error response, then exchanges the code with PKCE and
    // verifies the ID token (signature against the JWKS, iss, aud, exp, nonce).
    tokens = await oidc.authorizationCodeGrant(config, url, {
      pkceCodeVerifier: p.verifier,
      expectedState: p.state,
      expectedNonce: p.nonce,
      idTokenExpected: true,
    });
  } catch (e) {
    if (e instanceof oidc.AuthorizationResponseError) return failed(res, 200, e.error);
    console.error(`rp-node ${clientId}: callback failed:`, e);
    return failed(res, 502, e.message);
  }
  const claims = tokens.claims();
  const session = {
    username: claims.preferred_username ?? claims.sub,
    sub: claims.sub,
    sid: claims.sid,
    idToken: tokens.id_token,
  };
  const sessionId = newId();
  signed.set(sessionId, session);
  console.error(`rp-node ${clientId}: signed in ${session.username} (sid ${session.sid})`);
  redirect(res, '/', { 'set-cookie': setCookie(sessionId) });
}

function logout(req, res) {
  const id = browserId(req);
  const u = signed.get(id);
  signed.delete(id);
  if (!u || !meta.end_session_endpoint) return redirect(res, '/');
  const state = oidc.randomState();
  logoutStates.add(state);
  const target = oidc.buildEndSessionUrl(config, {
    id_token_hint: u.idToken,
    post_logout_redirect_uri: `${base}/`,
    state,
  });
  redirect(res, target.href);
}

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** OIDC Back-Channel Logout 1.0 §2.6. */
async function verifyLogoutToken(token) {
  const { payload } = await jwtVerify(token, jwks, {
    issuer: meta.issuer,
    audience: clientId,
    typ: 'logout+jwt',
    requiredClaims: ['iat', 'jti', 'events'],
    clockTolerance: 60,
  });
  const event = payload.events?.[BACKCHANNEL_EVENT];
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new Error('no back-channel logout event');
  }
  if ('nonce' in payload) throw new Error('a logout token must not have a nonce');
  if (!payload.sid && !payload.sub) throw new Error('neither sid nor sub');
  return payload;
}

async function backchannelLogout(req, res) {
  let claims;
  try {
    const form = new URLSearchParams(await readBody(req));
    claims = await verifyLogoutToken(form.get('logout_token') ?? '');
  } catch (e) {
    console.error(`rp-node ${clientId}: refused a logout token: ${e.message}`);
    res.writeHead(400, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    return res.end(JSON.stringify({ error: 'invalid_request', error_description: e.message }));
  }
  let ended = 0;
  for (const [id, u] of signed) {
    if (claims.sid ? u.sid === claims.sid : u.sub === claims.sub) {
      signed.delete(id);
      ended++;
    }
  }
  console.error(`rp-node ${clientId}: back-channel logout for sid ${claims.sid} ended ${ended} session(s)`);
  res.writeHead(200, { 'cache-control': 'no-store' });
  res.end();
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, base);
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /') return home(req, res, url);
    if (route === 'GET /login') return await login(req, res);
    if (route === 'GET /callback') return await callback(req, res, url);
    if (route === 'GET /logout') return logout(req, res);
    if (route === 'POST /backchannel_logout') return await backchannelLogout(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  } catch (e) {
    console.error(`rp-node ${clientId}: ${e.stack}`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('internal error\n');
  }
});

server.on('error', (e) => {
  console.error(`rp-node ${clientId}: ${e.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  console.error(`rp-node ${clientId}: listening on ${base}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
