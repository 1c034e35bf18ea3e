//! An OpenID Connect provider as the `openidconnect` crate sees it: discovery (cached, read
//! again when a signature does not verify), the authorization URL with our state, nonce and
//! PKCE challenge, the code exchange with the verifier, and the ID token's checks (signature
//! against the provider's JWKS, `iss`, `aud`, `exp`, nonce).

use super::{Entry, Identity, METADATA_TTL, UpstreamError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, TokenResponse,
};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// The provider's metadata and keys: cached, or read now (`fresh`, or when older than
/// [`METADATA_TTL`]).
pub async fn metadata(
    entry: &Entry,
    http: &reqwest::Client,
    fresh: bool,
) -> Result<Arc<CoreProviderMetadata>, UpstreamError> {
    if !fresh
        && let Ok(guard) = entry.metadata.lock()
        && let Some((meta, at)) = guard.as_ref()
        && at.elapsed() < METADATA_TTL
    {
        return Ok(meta.clone());
    }
    let issuer = IssuerUrl::new(entry.config.issuer.clone())
        .map_err(|e| UpstreamError::Malformed(format!("issuer: {e}")))?;
    let meta = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| {
            use openidconnect::DiscoveryError as D;
            let detail = format!("discovery: {e}");
            match e {
                D::Request(_) | D::Response(..) => UpstreamError::Unreachable(detail),
                _ => UpstreamError::Malformed(detail),
            }
        })?;
    let meta = Arc::new(meta);
    if let Ok(mut guard) = entry.metadata.lock() {
        *guard = Some((meta.clone(), Instant::now()));
    }
    Ok(meta)
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn client(
    entry: &Entry,
    meta: &CoreProviderMetadata,
    redirect: &str,
) -> Result<Client, UpstreamError> {
    let redirect = RedirectUrl::new(redirect.to_owned())
        .map_err(|e| UpstreamError::Malformed(format!("redirect URI: {e}")))?;
    // client_secret_basic unless the provider lists only client_secret_post.
    let methods = meta.token_endpoint_auth_methods_supported();
    let post_only = methods.is_some_and(|m| {
        !m.contains(&CoreClientAuthMethod::ClientSecretBasic)
            && m.contains(&CoreClientAuthMethod::ClientSecretPost)
    });
    Ok(CoreClient::from_provider_metadata(
        meta.clone(),
        ClientId::new(entry.config.client_id.clone()),
        Some(ClientSecret::new(entry.secret.clone())),
    )
    .set_redirect_uri(redirect)
    .set_auth_type(if post_only {
        AuthType::RequestBody
    } else {
        AuthType::BasicAuth
    }))
}

/// The S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.to_owned()))
        .as_str()
        .to_owned()
}

pub fn authorization_url(
    entry: &Entry,
    meta: &CoreProviderMetadata,
    redirect: &str,
    state: &str,
    nonce: &str,
    verifier: &str,
) -> Result<String, UpstreamError> {
    let client = client(entry, meta, redirect)?;
    let (state, nonce) = (state.to_owned(), nonce.to_owned());
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.to_owned()));
    let mut req = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        )
        .set_pkce_challenge(challenge);
    for s in entry.config.scopes.iter().filter(|s| *s != "openid") {
        req = req.add_scope(Scope::new(s.clone()));
    }
    let (url, _, _) = req.url();
    Ok(url.to_string())
}

/// Only asymmetric signatures: an ID token MACed with our client secret proves nothing more
/// than the secret, and `none` proves nothing.
fn allowed_algs(meta: &CoreProviderMetadata) -> Vec<CoreJwsSigningAlgorithm> {
    use CoreJwsSigningAlgorithm as A;
    let asymmetric = [
        A::RsaSsaPkcs1V15Sha256,
        A::RsaSsaPkcs1V15Sha384,
        A::RsaSsaPkcs1V15Sha512,
        A::EcdsaP256Sha256,
        A::EcdsaP384Sha384,
        A::RsaSsaPssSha256,
        A::RsaSsaPssSha384,
        A::RsaSsaPssSha512,
        A::EdDsa,
    ];
    let listed: Vec<A> = meta
        .id_token_signing_alg_values_supported()
        .iter()
        .filter(|a| asymmetric.contains(a))
        .cloned()
        .collect();
    if listed.is_empty() {
        vec![A::RsaSsaPkcs1V15Sha256]
    } else {
        listed
    }
}

/// Redeem the code (with the PKCE verifier) and check the ID token it comes with.
pub async fn identity(
    entry: &Entry,
    http: &reqwest::Client,
    redirect: &str,
    code: &str,
    verifier: &str,
    nonce: &str,
) -> Result<Identity, UpstreamError> {
    let meta = metadata(entry, http, false).await?;
    let rp = client(entry, &meta, redirect)?;
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| UpstreamError::Malformed(format!("no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => UpstreamError::Refused(r.to_string()),
            RequestTokenError::Request(e) => UpstreamError::Unreachable(format!("token: {e}")),
            other => UpstreamError::Malformed(format!("token: {other}")),
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| UpstreamError::Malformed("the token response has no ID token".into()))?;
    let nonce = Nonce::new(nonce.to_owned());
    let verify = |meta: &CoreProviderMetadata| -> Result<_, ClaimsVerificationError> {
        let c = client(entry, meta, redirect)
            .map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        let v = c.id_token_verifier().set_allowed_algs(allowed_algs(meta));
        id_token.claims(&v, &nonce).cloned()
    };
    let claims = match verify(&meta) {
        // The provider may have rotated its keys since discovery: read them again, once.
        Err(ClaimsVerificationError::SignatureVerification(_)) => {
            let fresh = metadata(entry, http, true).await?;
            verify(&fresh)
        }
        other => other,
    }
    .map_err(|e| match e {
        ClaimsVerificationError::InvalidNonce(_) => UpstreamError::Nonce,
        other => UpstreamError::InvalidIdToken(other.to_string()),
    })?;
    // Claims the crate does not model (the groups claim), from the token just verified.
    let payload = verified_payload(&id_token.to_string());
    let groups = entry
        .config
        .groups_claim
        .as_deref()
        .and_then(|name| names(payload.get(name)?));
    let mut who = Identity {
        upstream: entry.config.id.clone(),
        issuer: entry.config.issuer.clone(),
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified().unwrap_or(false),
        preferred_username: claims.preferred_username().map(|u| u.as_str().to_owned()),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned()),
        groups,
        acr: claims.auth_context_ref().map(|a| a.as_str().to_owned()),
        amr: claims
            .auth_method_refs()
            .map(|v| v.iter().map(|m| m.as_str().to_owned()).collect())
            .unwrap_or_default(),
    };
    // Some providers leave the email out of the ID token: ask userinfo (same subject).
    if who.email.is_none()
        && let Ok(req) = rp.user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
    {
        let asked: Result<CoreUserInfoClaims, _> = req.request_async(http).await;
        let Ok(info) = asked else {
            return Ok(who);
        };
        who.email = info.email().map(|e| e.as_str().to_owned());
        who.email_verified = info.email_verified().unwrap_or(false);
        if who.preferred_username.is_none() {
            who.preferred_username = info.preferred_username().map(|u| u.as_str().to_owned());
        }
    }
    Ok(who)
}

/// The claims of a compact JWS whose signature was checked already.
fn verified_payload(jws: &str) -> serde_json::Map<String, Value> {
    jws.split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// A claim holding names: a list of strings, or one string.
fn names(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}
