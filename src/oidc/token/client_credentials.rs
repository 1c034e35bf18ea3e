//! grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting for itself.

use super::Issued;
use crate::config::Settings;
use crate::domain::ScopeSet;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::params::Params;
use crate::oidc::tokens::AccessClaims;
use crate::store::clients::Client;

/// Scopes about a user make no sense without one.
const USER_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

pub fn exchange(
    settings: &Settings,
    now: i64,
    client: &Client,
    p: &Params,
) -> Result<Issued, OAuthError> {
    if client.is_public {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "public clients cannot use client_credentials",
        ));
    }
    let requested = ScopeSet::parse(p.get("scope").unwrap_or(""))
        .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.0))?;
    if let Some(s) = requested
        .iter()
        .find(|s| USER_SCOPES.contains(s) || !client.scopes.iter().any(|a| a == s))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope {s} is not available to this client"),
        ));
    }
    let access = AccessClaims::new(
        settings,
        now,
        &client.client_id,
        &client.client_id,
        &requested.to_string(),
    );
    // Logged, not stored: a machine client may ask thousands of times a minute.
    tracing::info!(target: "latchkey::audit", kind = "token.issued", client_id = %client.client_id, grant = "client_credentials", jti = %access.jti, "audit");
    Ok(Issued {
        access,
        id: None,
        refresh_token: None,
    })
}
