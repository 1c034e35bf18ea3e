//! Token revocation (RFC 7009).

use super::client_auth;
use super::error::OAuthError;
use super::params::Params;
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::crypto::{jwt, random};
use crate::store::{Store, audit, refresh};
use serde_json::Value;

/// Revoke a refresh token (with its family) or an access token (deny-listed by `jti`).
/// Unknown tokens and tokens of other clients succeed silently, as the RFC asks.
///
/// The client is authenticated inside the write unit, as the token endpoint's code and refresh
/// grants do: one unit of work per request, and a refused client makes it write nothing.
pub fn revoke(
    store: &Store,
    ring: &KeyRing,
    _settings: &Settings,
    now: i64,
    authorization: Option<&str>,
    p: &Params,
) -> Result<(), OAuthError> {
    let creds = client_auth::credentials(authorization, p)?;
    // Checked before the unit, reported after the client is authenticated (as every error is).
    let token = p
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"));
    let hint = p.get("token_type_hint");
    store.write(|c| {
        let client = client_auth::check(c, &creds)??;
        let token = token?;
        if hint != Some("access_token")
            && let Some(rt) = refresh::find_refresh_token(c, &random::hash_token(token))?
        {
            if rt.client_pk == client.id {
                refresh::revoke_refresh_family(c, &rt.family_id, now)?;
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at: now,
                        kind: "refresh_token.revoked".into(),
                        client_id: Some(client.client_id.clone()),
                        ..Default::default()
                    },
                )?;
            }
            return Ok(());
        }
        // An access token: revoke it if it is ours, unexpired, and belongs to this client. Its
        // signature is checked only once the client is authenticated (an access token's
        // revocation is rare, so the writer's wait for it is too).
        if let Ok(claims) = jwt::verify(ring, token, &[super::signed_tokens::ACCESS_TOKEN_TYP])
            && claims.get("client_id").and_then(Value::as_str) == Some(client.client_id.as_str())
            && let (Some(jti), Some(exp)) = (
                claims.get("jti").and_then(Value::as_str),
                claims.get("exp").and_then(Value::as_i64),
            )
            && exp > now
        {
            refresh::insert_revoked_jti(c, jti, exp)?;
        }
        Ok::<_, OAuthError>(())
    })
}
