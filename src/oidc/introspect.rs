//! Token introspection (RFC 7662).

use super::client_auth;
use super::error::OAuthError;
use super::params::Params;
use super::signed_tokens::{access_token_audience, verify_access_token_for};
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::crypto::random;
use crate::store::{Store, apis, clients, refresh, users};
use serde_json::{Map, Value, json};

/// `{"active": true, ...claims}` for a live token, exactly `{"active": false}` for anything else.
pub fn introspect(
    store: &Store,
    ring: &KeyRing,
    settings: &Settings,
    now: i64,
    authorization: Option<&str>,
    p: &Params,
) -> Result<Value, OAuthError> {
    let client = client_auth::authenticate_request(store, authorization, p)?;
    if client.is_public {
        return Err(OAuthError::invalid_client(
            "public clients cannot introspect tokens",
        ));
    }
    let token = p
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let inactive = json!({ "active": false });
    store
        .read(|c| {
            if token.contains('.') {
                // Tokens for userinfo and for every registered API.
                let mut audiences = apis::list_identifiers(c)?;
                audiences.push(access_token_audience(settings));
                let Ok(claims) = verify_access_token_for(c, ring, settings, token, now, &audiences)
                else {
                    return Ok(inactive);
                };
                // Tokens of disabled or deleted users are dead too.
                let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
                let cid = claims
                    .get("client_id")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if sub != cid {
                    match users::find_user_by_subject(c, sub)? {
                        Some(u) if !u.disabled => {}
                        _ => return Ok(inactive),
                    }
                }
                let mut out = Map::new();
                out.insert("active".into(), true.into());
                for k in [
                    "scope",
                    "client_id",
                    "sub",
                    "exp",
                    "iat",
                    "nbf",
                    "iss",
                    "aud",
                    "jti",
                    "auth_time",
                    "sid",
                    "groups",
                ] {
                    if let Some(v) = claims.get(k) {
                        out.insert(k.into(), v.clone());
                    }
                }
                out.insert("token_type".into(), "Bearer".into());
                return Ok(Value::Object(out));
            }
            // A refresh token: only its own client may look at it.
            let Some(rt) = refresh::find_refresh_token(c, &random::hash_token(token))? else {
                return Ok(inactive);
            };
            if rt.client_pk != client.id
                || rt.used_at.is_some()
                || rt.revoked_at.is_some()
                || rt.expires_at <= now
            {
                return Ok(inactive);
            }
            let user = users::get_user(c, rt.user_id)?;
            if user.disabled {
                return Ok(inactive);
            }
            let cl = clients::get_client_by_pk(c, rt.client_pk)?;
            Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "scope": rt.scope,
                "client_id": cl.client_id,
                "sub": user.subject,
                "iss": settings.issuer,
                "iat": rt.created_at,
                "exp": rt.expires_at,
            }))
        })
        .map_err(OAuthError::from)
}
