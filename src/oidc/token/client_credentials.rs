//! grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting for itself.

use super::Issued;
use crate::config::Settings;
use crate::domain::ScopeSet;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::params::Params;
use crate::oidc::resource;
use crate::oidc::signed_tokens::AccessClaims;
use crate::store::clients::Client;
use crate::store::{Store, StoreError, apis};

/// Scopes about a user make no sense without one.
const USER_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

pub fn exchange(
    store: &Store,
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
    let resources = p.resources();
    if !resources.is_empty() {
        return for_api(store, settings, now, client, &requested, &resources);
    }
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
    Ok(issued(access))
}

/// A token for the API named by `resource` (RFC 8707): `aud` is the API, and the scopes are
/// the requested ones, all of which the client must hold (all it holds when none are asked).
fn for_api(
    store: &Store,
    settings: &Settings,
    now: i64,
    client: &Client,
    requested: &ScopeSet,
    resources: &[&str],
) -> Result<Issued, OAuthError> {
    let (api, held) = store
        .read(|c| -> Result<Result<_, OAuthError>, StoreError> {
            let api = match resource::find_resource(c, client, resources)? {
                Ok(Some(api)) => api,
                Ok(None) => return Ok(Err(OAuthError::invalid_request("resource is empty"))),
                Err(e) => return Ok(Err(e)),
            };
            let held = apis::list_client_api_scopes(c, client.id, api.id)?;
            Ok(Ok((api, held)))
        })
        .map_err(OAuthError::from)??;
    if let Some(s) = requested.iter().find(|s| !held.iter().any(|h| h == s)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!(
                "this client has not been granted the scope {s} of {}",
                api.identifier
            ),
        ));
    }
    let scope: ScopeSet = if requested.is_empty() {
        held.iter().map(String::as_str).collect()
    } else {
        requested.clone()
    };
    let mut access = AccessClaims::new(
        settings,
        now,
        &client.client_id,
        &client.client_id,
        &scope.to_string(),
    );
    access.aud = Some(api.identifier);
    Ok(issued(access))
}

fn issued(access: AccessClaims) -> Issued {
    // Logged, not stored: a machine client may ask thousands of times a minute.
    tracing::info!(target: "latchkey::audit", kind = "token.issued", client_id = %access.client_id, grant = "client_credentials", jti = %access.jti, "audit");
    Issued {
        access,
        id: None,
        refresh_token: None,
    }
}
