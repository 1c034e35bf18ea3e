//! Minting the JWTs we hand out: access tokens (RFC 9068) and ID tokens (OIDC Core §2).

use crate::config::Settings;
use crate::crypto::jwt::{self, JwtError};
use crate::crypto::keys::{Alg, KeyRing};
use crate::crypto::random;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
pub const ID_TOKEN_TYP: &str = "JWT";

/// What an access token says, before it is signed.
#[derive(Debug, Clone)]
pub struct AccessClaims {
    pub sub: String,
    pub client_id: String,
    pub scope: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub auth_time: Option<i64>,
    pub sid: Option<String>,
    /// Claims the `claims` request parameter asked userinfo to return.
    pub userinfo_claims: Vec<String>,
    /// The API this token is for (RFC 8707); None: the userinfo endpoint.
    pub aud: Option<String>,
    /// The user's group names, when the `groups` scope was granted.
    pub groups: Option<Vec<String>>,
}

impl AccessClaims {
    pub fn new(settings: &Settings, now: i64, sub: &str, client_id: &str, scope: &str) -> Self {
        Self {
            sub: sub.to_owned(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            jti: random::token(),
            iat: now,
            exp: now + settings.access_token_ttl_secs,
            auth_time: None,
            sid: None,
            userinfo_claims: Vec::new(),
            aud: None,
            groups: None,
        }
    }
}

/// The audience of our access tokens: the one resource server we run, the userinfo endpoint.
pub fn access_token_audience(settings: &Settings) -> String {
    settings.endpoint("/userinfo")
}

pub fn sign_access_token(
    ring: &KeyRing,
    settings: &Settings,
    c: &AccessClaims,
) -> Result<String, JwtError> {
    jwt::sign_remembered(
        ring,
        settings.access_token_alg,
        ACCESS_TOKEN_TYP,
        access_token_payload(settings, c),
    )
}

/// The claims an access token carries, as signed (the admin sign-in checker shows them).
pub fn access_token_payload(settings: &Settings, c: &AccessClaims) -> Map<String, Value> {
    // Room for every claim at once: growing the map reallocates it, and past ~1 KiB glibc's
    // malloc consolidates its free lists each time (it showed in the token endpoint's profile).
    let mut m = Map::with_capacity(13);
    m.insert("iss".into(), settings.issuer.clone().into());
    m.insert("sub".into(), c.sub.clone().into());
    let aud = c
        .aud
        .clone()
        .unwrap_or_else(|| access_token_audience(settings));
    m.insert("aud".into(), aud.into());
    m.insert("client_id".into(), c.client_id.clone().into());
    m.insert("scope".into(), c.scope.clone().into());
    m.insert("jti".into(), c.jti.clone().into());
    m.insert("iat".into(), c.iat.into());
    m.insert("exp".into(), c.exp.into());
    if let Some(t) = c.auth_time {
        m.insert("auth_time".into(), t.into());
    }
    if let Some(s) = &c.sid {
        m.insert("sid".into(), s.clone().into());
    }
    if let Some(g) = &c.groups {
        m.insert("groups".into(), g.clone().into());
    }
    if !c.userinfo_claims.is_empty() {
        m.insert("userinfo_claims".into(), c.userinfo_claims.clone().into());
    }
    m
}

/// What an ID token says, before it is signed. `extra` holds the user claims.
#[derive(Debug, Clone)]
pub struct IdClaims {
    pub sub: String,
    pub aud: String,
    pub auth_time: i64,
    pub nonce: Option<String>,
    pub amr: Vec<String>,
    /// Always present: how strong the sign-in was (`domain::Acr`).
    pub acr: String,
    pub sid: Option<String>,
    pub extra: Map<String, Value>,
}

pub fn sign_id_token(
    ring: &KeyRing,
    settings: &Settings,
    alg: Alg,
    now: i64,
    c: &IdClaims,
    access_token: Option<&str>,
) -> Result<String, JwtError> {
    jwt::sign(
        ring,
        alg,
        ID_TOKEN_TYP,
        id_token_payload(settings, alg, now, c, access_token),
    )
}

/// The claims an ID token carries, as signed (the admin sign-in checker shows them).
pub fn id_token_payload(
    settings: &Settings,
    alg: Alg,
    now: i64,
    c: &IdClaims,
    access_token: Option<&str>,
) -> Map<String, Value> {
    // Sized once for the user claims and ours (see `access_token_payload`).
    let mut m = Map::with_capacity(c.extra.len() + 11);
    m.extend(c.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    m.insert("iss".into(), settings.issuer.clone().into());
    m.insert("sub".into(), c.sub.clone().into());
    m.insert("aud".into(), c.aud.clone().into());
    m.insert("iat".into(), now.into());
    m.insert("exp".into(), (now + settings.id_token_ttl_secs).into());
    m.insert("auth_time".into(), c.auth_time.into());
    if let Some(n) = &c.nonce {
        m.insert("nonce".into(), n.clone().into());
    }
    m.insert("amr".into(), c.amr.clone().into());
    m.insert("acr".into(), c.acr.clone().into());
    if let Some(s) = &c.sid {
        m.insert("sid".into(), s.clone().into());
    }
    if let Some(at) = access_token {
        m.insert("at_hash".into(), at_hash(alg, at).into());
    }
    m
}

/// OIDC Core §3.1.3.6: the left half of the hash the signing algorithm uses
/// (SHA-256 for RS256/ES256, SHA-512 for Ed25519), base64url.
pub fn at_hash(alg: Alg, token: &str) -> String {
    let digest: Vec<u8> = match alg {
        Alg::RS256 | Alg::ES256 => Sha256::digest(token.as_bytes()).to_vec(),
        Alg::EdDSA => Sha512::digest(token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// `amr` as stored (space separated) to the ID token's list, in RFC 8176 words only.
pub fn amr_list(stored: &str) -> Vec<String> {
    crate::domain::Methods::parse(stored).to_list()
}

/// A live access token's claims, or why it is not one.
/// Checks signature (our keys, pinned algorithm), `typ`, `iss`, `aud`, `exp`, `nbf`, `iat`,
/// and the revocation deny-list.
pub fn verify_access_token(
    c: &crate::store::Tx<'_>,
    ring: &KeyRing,
    settings: &Settings,
    token: &str,
    now: i64,
) -> Result<Map<String, Value>, &'static str> {
    verify_access_token_for(
        c,
        ring,
        settings,
        token,
        now,
        &[access_token_audience(settings)],
    )
}

/// As [`verify_access_token`], for a token whose `aud` is one of `audiences`.
pub fn verify_access_token_for(
    c: &crate::store::Tx<'_>,
    ring: &KeyRing,
    settings: &Settings,
    token: &str,
    now: i64,
    audiences: &[String],
) -> Result<Map<String, Value>, &'static str> {
    let claims =
        jwt::verify(ring, token, &[ACCESS_TOKEN_TYP]).map_err(|_| "the access token is invalid")?;
    let num = |k: &str| claims.get(k).and_then(Value::as_i64);
    let aud_ok = match claims.get("aud") {
        Some(Value::String(s)) => audiences.contains(s),
        Some(Value::Array(a)) => a
            .iter()
            .any(|v| v.as_str().is_some_and(|s| audiences.iter().any(|x| x == s))),
        _ => false,
    };
    if claims.get("iss").and_then(Value::as_str) != Some(settings.issuer.as_str()) || !aud_ok {
        return Err("the access token was not issued for this endpoint");
    }
    match (num("exp"), num("iat")) {
        (Some(exp), Some(iat)) if exp > now && iat <= now + 60 => {}
        _ => return Err("the access token has expired"),
    }
    if num("nbf").is_some_and(|nbf| nbf > now + 60) {
        return Err("the access token is not yet valid");
    }
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .ok_or("the access token is invalid")?;
    if crate::store::refresh::is_jti_revoked(c, jti)
        .map_err(|_| "the access token could not be checked")?
    {
        return Err("the access token has been revoked");
    }
    Ok(claims)
}
