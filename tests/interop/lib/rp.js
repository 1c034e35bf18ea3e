// The relying party: openid-client configured from latchkey's discovery document.

import * as oidc from 'openid-client';
import { authorize } from './browser.js';

/**
 * Discover the issuer and build a Configuration for one client.
 * `auth` is 'client_secret_basic', 'client_secret_post' or 'none'.
 * `requests`: an array that receives every request openid-client makes.
 * `alterResponse(url, response)`: may replace a response before openid-client sees it.
 *
 * openid-client (like OIDC Core §3.1.3.7 allows) skips the ID token signature check for
 * responses fetched straight from the token endpoint unless enableNonRepudiationChecks is on:
 * it is on here, so every ID token is verified against the issuer's /jwks.
 */
export async function configure(lk, { clientId, clientSecret, auth, metadata = {}, requests, alterResponse }) {
  const clientAuth = {
    client_secret_basic: () => oidc.ClientSecretBasic(clientSecret),
    client_secret_post: () => oidc.ClientSecretPost(clientSecret),
    none: () => oidc.None(),
  }[auth]();
  return oidc.discovery(
    new URL(lk.issuer),
    clientId,
    { redirect_uris: [lk.redirectUri], token_endpoint_auth_method: auth, ...metadata },
    clientAuth,
    {
      execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
      timeout: 10,
      [oidc.customFetch]: instrumentedFetch(requests, alterResponse),
    },
  );
}

function instrumentedFetch(log, alter) {
  return async (url, options) => {
    const target = new URL(url);
    if (target.hostname !== '127.0.0.1') throw new Error(`refusing to fetch ${url}`);
    const body = options.body;
    log?.push({
      url: target,
      method: options.method,
      headers: new Headers(options.headers),
      body: body instanceof URLSearchParams ? new URLSearchParams(body) : body,
    });
    const res = await fetch(url, { ...options, signal: options.signal ?? AbortSignal.timeout(10_000) });
    return alter ? alter(target, res) : res;
  };
}

/** Fresh PKCE S256, state and nonce, and the authorization URL carrying them. */
export async function authorizationRequest(config, lk, params = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: lk.redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, checks: { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true } };
}

/** Browser part then code exchange; returns { tokens, claims, callback, checks, browse }. */
export async function signIn(config, lk, jar, { user, params } = {}) {
  const { url, checks } = await authorizationRequest(config, lk, params);
  const browse = await authorize(jar, url, { issuer: lk.issuer, redirectUri: lk.redirectUri, user });
  const tokens = await oidc.authorizationCodeGrant(config, browse.callback, checks);
  return { tokens, claims: tokens.claims(), callback: browse.callback, checks, browse };
}

export { oidc };
