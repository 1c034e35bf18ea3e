//! Token revocation (RFC 7009).

use super::client_auth;
use super::error::OAuthError;
use super::params::Params;
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::crypto::{jwt, random};
use crate::store::{Store, audit, refresh};

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
    // An access token's signature is checked outside the unit, so no writer waits on it.
    let access = token.as_ref().ok().and_then(|t| {
        let claims = jwt::verify(ring, t, &[super::signed_tokens::ACCESS_TOKEN_TYP]).ok()?;
        let client_id = claims.get("client_id")?.as_str()?.to_owned();
        let jti = claims.get("jti")?.as_str()?.to_owned();
        let exp = claims.get("exp")?.as_i64()?;
        Some((client_id, jti, exp))
    });
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
        // An access token: revoke it if it is ours, unexpired, and belongs to this client.
        if let Some((client_id, jti, exp)) = &access
            && *client_id == client.client_id
            && *exp > now
        {
            refresh::insert_revoked_jti(c, jti, *exp)?;
        }
        Ok::<_, OAuthError>(())
    })
}
