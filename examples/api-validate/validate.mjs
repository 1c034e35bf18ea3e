// How an API checks a latchkey access token by itself, with the JWKS and no call to latchkey
// per request (RFC 9068 §4; RFC 8725). Usage as a program:
//   node validate.mjs ISSUER API_IDENTIFIER TOKEN [REQUIRED_SCOPE...]
// It prints the token's claims and exits 0, or prints why it is refused and exits 1.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const jwksCache = new Map();

/**
 * Verify `token` as an access token for `audience` (the API's identifier) issued by `issuer`.
 * Checks: the signature against the issuer's published keys (RS256, ES256 or EdDSA only, never
 * `none` or HMAC), `typ: at+jwt` (so an ID token is refused), `iss`, `aud`, `exp`/`nbf`/`iat`
 * with 60 s of clock skew, and that the `scope` claim holds every required scope.
 * Resolves with the claims; rejects with an Error saying why.
 */
export async function verifyAccessToken(token, { issuer, audience, requiredScopes = [] }) {
  const jwksUri = new URL('/jwks', issuer);
  let jwks = jwksCache.get(jwksUri.href);
  if (!jwks) {
    // jose caches the keys and refetches when a token names an unknown kid (key rotation).
    jwks = createRemoteJWKSet(jwksUri);
    jwksCache.set(jwksUri.href, jwks);
  }
  const { payload } = await jwtVerify(token, jwks, {
    issuer,
    audience,
    typ: 'at+jwt',
    algorithms: ['RS256', 'ES256', 'EdDSA'],
    clockTolerance: 60,
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
  });
  const granted = new Set(String(payload.scope ?? '').split(' ').filter(Boolean));
  const missing = requiredScopes.filter((s) => !granted.has(s));
  if (missing.length > 0) {
    // The API should answer 403 with WWW-Authenticate: Bearer error="insufficient_scope".
    throw new Error(`insufficient_scope: the token lacks ${missing.join(' ')}`);
  }
  return payload;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [issuer, audience, token, ...requiredScopes] = process.argv.slice(2);
  if (!token) {
    console.error('usage: node validate.mjs ISSUER API_IDENTIFIER TOKEN [REQUIRED_SCOPE...]');
    process.exit(2);
  }
  try {
    console.log(JSON.stringify(await verifyAccessToken(token, { issuer, audience, requiredScopes }), null, 2));
  } catch (e) {
    console.error(`refused: ${e.code ?? ''} ${e.message}`.trim());
    process.exit(1);
  }
}
