// node-oidc-provider configured like latchkey, for the side-by-side benchmark (bench/run).
//
//   PEER_PORT=18090 PEER_CONFIG=/path/peer.json node server.mjs
//
// PEER_CONFIG is written by bench/bench.mjs:
//   { "clients": { "<id>": "<secret>", ... }, "redirect_uri": "...", "keys": [private JWKs],
//     "users": [{ "username", "email", "hash" }], "seed_users": N, "seed_sessions": N }
//
// What "equivalent" means here (see bench/README.md):
// - RS256, ES256 and EdDSA keys. Every token is a JWT signed with one algorithm: resource
//   urn:bench:rs256 | urn:bench:es256 | urn:bench:eddsa picks it for access tokens (RFC 9068,
//   `accessTokenFormat: 'jwt'`), for client_credentials, the code flow and refresh alike.
// - code-flow clients: `web` (ID and access tokens ES256), `web-rs256` (both RS256); their
//   authorization requests default to their algorithm's resource. `web-opaque` (ES256 ID
//   tokens, opaque access tokens) gives the tokens of the single-request userinfo and
//   introspection rows: node-oidc-provider neither stores nor introspects its JWT access
//   tokens, and its /me refuses any token with an audience.
// - GET /bench/userinfo: what a resource server does with a JWT access token (verify the
//   signature, typ, issuer, expiry; then the account's claims), standing in for latchkey's
//   userinfo in the code flow.
// - authorization code + PKCE S256, refresh tokens rotated on every use, userinfo, introspection.
// - a login interaction that checks an argon2id hash with latchkey's parameters
//   (m=19456 KiB, t=2, p=1) off the main thread, and first-party clients skip consent
//   (latchkey's clients are registered with --skip-consent).
// - storage: an unbounded in-memory Map adapter (below). node-oidc-provider's built-in
//   memory adapter is an LRU capped at 1000 entries, which evicts live sessions and grants
//   under load; nothing is written to disk, so the peer never waits for an fsync.
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import Provider from 'oidc-provider';
import argon2 from 'argon2';
import * as jose from 'jose';

const port = Number(process.env.PEER_PORT || 18090);
const issuer = `http://127.0.0.1:${port}`;
const conf = JSON.parse(fs.readFileSync(process.env.PEER_CONFIG, 'utf8'));

// ---------------------------------------------------------------- storage
const store = new Map(); // key -> { payload, exp (ms) | Infinity }
const grants = new Map(); // grantId -> Set(keys)
const uids = new Map(); // session uid -> id
const userCodes = new Map();
function live(e) {
  return e && e.exp > Date.now() ? e : undefined;
}
setInterval(() => {
  const now = Date.now();
  for (const [k, e] of store) if (e.exp <= now) store.delete(k);
}, 10_000).unref();

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

class MapAdapter {
  constructor(model) { this.model = model; }
  key(id) { return `${this.model}:${id}`; }
  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const exp = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(key, { payload, exp });
    if (this.model === 'Session' && payload.uid) uids.set(payload.uid, id);
    if (payload.userCode) userCodes.set(payload.userCode, id);
    if (GRANTABLE.has(this.model) && payload.grantId) {
      let s = grants.get(payload.grantId);
      if (!s) grants.set(payload.grantId, (s = new Set()));
      s.add(key);
    }
  }
  async find(id) { return live(store.get(this.key(id)))?.payload; }
  async findByUid(uid) { const id = uids.get(uid); return id && this.find(id); }
  async findByUserCode(code) { const id = userCodes.get(code); return id && this.find(id); }
  async consume(id) {
    const e = store.get(this.key(id));
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    const key = this.key(id);
    const e = store.get(key);
    store.delete(key);
    if (e?.payload.grantId) grants.get(e.payload.grantId)?.delete(key);
    if (e?.payload.uid && this.model === 'Session') uids.delete(e.payload.uid);
  }
  async revokeByGrantId(grantId) {
    const s = grants.get(grantId);
    if (s) for (const k of s) store.delete(k);
    grants.delete(grantId);
  }
}

// ---------------------------------------------------------------- accounts
const accounts = new Map(); // username (lowercase) -> { id, email, hash }
for (const u of conf.users) {
  accounts.set(u.username.toLowerCase(), { id: u.username, email: u.email, hash: u.hash });
}
// Extra users that all share the first user's hash (as the latchkey seed does in SQLite).
for (let i = 0; i < (conf.seed_users || 0); i++) {
  const name = `seed${i}`;
  accounts.set(name, { id: name, email: `${name}@bench.example`, hash: conf.users[0].hash });
}
const byId = new Map([...accounts.values()].map((a) => [a.id, a]));

// ---------------------------------------------------------------- keys
function jwk(type, opts, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, opts);
  const k = privateKey.export({ format: 'jwk' });
  return { ...k, alg, use: 'sig', kid: `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}` };
}
// Keys come with the configuration (bench.mjs makes them once, as latchkey keeps its keys in
// its database), so a restart does not pay for RSA key generation.
const keys = conf.keys || [
  jwk('rsa', { modulusLength: 2048 }, 'RS256'),
  jwk('ec', { namedCurve: 'P-256' }, 'ES256'),
  jwk('ed25519', {}, 'EdDSA'),
];

// ---------------------------------------------------------------- provider
const RESOURCES = { 'urn:bench:rs256': 'RS256', 'urn:bench:es256': 'ES256', 'urn:bench:eddsa': 'EdDSA' };
// A code-flow client's algorithm, for its ID tokens and (through its resource) access tokens.
const flowAlg = (id) => (id.endsWith('-rs256') ? 'RS256' : 'ES256');
const flowResource = (id) => (id === 'web-opaque' ? undefined : `urn:bench:${flowAlg(id).toLowerCase()}`);
const FLOW_SCOPE = 'openid profile email';
const clients = [];
for (const [id, secret] of Object.entries(conf.clients)) {
  if (id.startsWith('cc-')) {
    clients.push({
      client_id: id, client_secret: secret, grant_types: ['client_credentials'],
      response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic',
    });
  } else {
    clients.push({
      client_id: id, client_secret: secret, grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], redirect_uris: [conf.redirect_uri],
      token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: flowAlg(id),
    });
  }
}

const cookieKey = crypto.randomBytes(32).toString('hex');
const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients,
  jwks: { keys },
  cookies: { keys: [cookieKey] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client, oneOf) => oneOf
        ?? (client.grantTypeAllowed('authorization_code') ? flowResource(client.clientId) : undefined),
      // The code and refresh grants keep the resource of the authorization request.
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        const alg = RESOURCES[resource];
        if (!alg) throw new Provider.errors.InvalidTarget();
        return { scope: `api ${FLOW_SCOPE}`, audience: resource, accessTokenTTL: 600,
          accessTokenFormat: 'jwt', jwt: { sign: { alg } } };
      },
    },
  },
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, ClientCredentials: 600, IdToken: 3600,
    RefreshToken: 2592000, Interaction: 600, Session: 604800, Grant: 2592000,
  },
  // latchkey issues a refresh token to every client allowed the grant and rotates it on every
  // use; node-oidc-provider's defaults would want offline_access + prompt=consent.
  issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  // First-party clients skip consent, as latchkey's --skip-consent does.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile offline_access');
    const resource = flowResource(ctx.oidc.client.clientId);
    if (resource) grant.addResourceScope(resource, FLOW_SCOPE);
    await grant.save();
    return grant;
  },
  findAccount: (ctx, id) => {
    const a = byId.get(id);
    if (!a) return undefined;
    return { accountId: id, claims: () => ({ sub: id, email: a.email, email_verified: true, name: id }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: (ctx, out) => { ctx.type = 'text/plain'; ctx.body = `${out.error}: ${out.error_description}`; },
});
provider.on('server_error', (ctx, err) => { console.error('server_error', err); });

// ---------------------------------------------------------------- interactions
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function page(res, status, uid, error = '') {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><title>Sign in</title>${error ? `<p>${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<input name="username" autocomplete="username"><input name="password" type="password">
<button>Sign in</button></form>`);
}
function readBody(req) {
  return new Promise((resolve, reject) => {
    let b = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { b += c; if (b.length > 65536) reject(new Error('too large')); });
    req.on('end', () => resolve(new URLSearchParams(b)));
    req.on('error', reject);
  });
}
const dummyHash = conf.users[0].hash;

async function interaction(req, res, url) {
  const m = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) { res.writeHead(404); res.end(); return; }
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== m[1]) { res.writeHead(400); res.end('wrong interaction'); return; }
  if (details.prompt.name !== 'login') {
    // Only login is ever asked (consent is skipped for first-party clients).
    await provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET' && !m[2]) { page(res, 200, details.uid); return; }
  if (req.method !== 'POST' || !m[2]) { res.writeHead(405); res.end(); return; }
  const form = await readBody(req);
  const a = accounts.get((form.get('username') || '').trim().toLowerCase());
  const ok = await argon2.verify(a ? a.hash : dummyHash, form.get('password') || '').catch(() => false);
  if (!a || !ok) { page(res, 401, details.uid, 'Invalid username or password'); return; }
  await provider.interactionFinished(req, res, { login: { accountId: a.id } }, { mergeWithLastSubmission: false });
}

// A resource server's check of a JWT access token (RFC 9068), then the account's claims.
const publicKeys = Object.fromEntries(keys.map((k) => {
  const { d, p, q, dp, dq, qi, ...pub } = k; // eslint-disable-line no-unused-vars
  return [k.kid, crypto.createPublicKey({ key: pub, format: 'jwk' })];
}));
async function benchUserinfo(req, res) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
  try {
    if (!m) throw new Error('no bearer token');
    const { payload } = await jose.jwtVerify(m[1], (h) => publicKeys[h.kid],
      { issuer, typ: 'at+jwt', algorithms: ['RS256', 'ES256', 'EdDSA'] });
    const a = byId.get(payload.sub);
    if (!a) throw new Error('unknown subject');
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ sub: a.id, email: a.email, email_verified: true, name: a.id }));
  } catch (e) {
    res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
    res.end(String(e.message || e));
  }
}

const handler = provider.callback();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === '/healthz') { res.writeHead(200); res.end('ok'); return; }
  if (url.pathname === '/bench/userinfo') { benchUserinfo(req, res); return; }
  if (url.pathname.startsWith('/interaction/')) {
    interaction(req, res, url).catch((e) => {
      console.error('interaction error', e);
      if (!res.headersSent) { res.writeHead(500); }
      res.end();
    });
    return;
  }
  handler(req, res);
});
server.keepAliveTimeout = 65_000;

// Signed-in browsers created directly in the store (as bench.mjs seeds latchkey's SQLite):
// their cookies (signed like koa's, with the provider's cookie key) go to PEER_SESSIONS_OUT,
// one Cookie header value per line, so the driver can use them.
async function seedSessions(n, out) {
  const Keygrip = createRequire(import.meta.url)('keygrip');
  const grip = new Keygrip([cookieKey]);
  const now = Math.floor(Date.now() / 1000);
  const names = [...accounts.values()];
  const lines = [];
  for (let i = 0; i < n; i++) {
    const a = names[names.length > 1 ? 1 + (i % (names.length - 1)) : 0];
    const s = new provider.Session({ accountId: a.id, loginTs: now, amr: ['pwd'] });
    await s.save(604800);
    if (out) lines.push(`_session=${s.jti}; _session.sig=${grip.sign(`_session=${s.jti}`)}`);
  }
  // Written last (and always): its presence tells bench.mjs that seeding is over.
  if (out) {
    fs.writeFileSync(`${out}.tmp`, lines.join('\n'));
    fs.renameSync(`${out}.tmp`, out);
  }
}

// Listen first, so the start-up time is node-oidc-provider's own, then seed (an in-memory
// store is empty after every real restart anyway).
server.listen(port, '127.0.0.1', () => {
  console.log(`peer listening on ${issuer}`);
  seedSessions(conf.seed_sessions || 0, process.env.PEER_SESSIONS_OUT).catch((e) => {
    console.error('seeding failed', e);
    process.exit(1);
  });
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); process.exit(0); });
