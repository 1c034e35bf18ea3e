//! Back-channel logout tokens (OIDC Back-Channel Logout 1.0 §2.4).

use crate::config::Settings;
use crate::crypto::jwt::{self, JwtError};
use crate::crypto::keys::{Alg, KeyRing};
use crate::crypto::random;
use serde_json::{Map, json};

pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A signed logout token for `client_id` about session `sid` of `sub`. Never has a nonce.
pub fn logout_token(
    ring: &KeyRing,
    settings: &Settings,
    alg: Alg,
    client_id: &str,
    sub: &str,
    sid: &str,
    now: i64,
) -> Result<String, JwtError> {
    let mut m = Map::new();
    m.insert("iss".into(), settings.issuer.clone().into());
    m.insert("aud".into(), client_id.into());
    m.insert("iat".into(), now.into());
    m.insert("exp".into(), (now + 120).into());
    m.insert("jti".into(), random::token().into());
    m.insert("sub".into(), sub.into());
    m.insert("sid".into(), sid.into());
    m.insert("events".into(), json!({ EVENT: {} }));
    jwt::sign(ring, alg, LOGOUT_TOKEN_TYP, m)
}
