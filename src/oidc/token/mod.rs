//! The token endpoint: client authentication, then one handler per grant type.

mod authorization_code;
mod client_credentials;
mod device_code;
pub mod issue;
mod refresh_token;

use super::client_auth::{self, Credentials};
use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use super::signed_tokens::{self, AccessClaims, IdClaims};
use crate::config::Settings;
use crate::crypto::keys::{Alg, KeyRing};
use crate::domain::{DEVICE_CODE, GrantType};
use crate::store::clients::Client;
use crate::store::{Store, StoreError, Tx};
use serde::Serialize;

/// RFC 6749 §5.1.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
    /// The grant that issued it (for metrics; not part of the response).
    #[serde(skip)]
    pub grant: GrantType,
}

/// What a grant decided to issue; signed after the database work has committed,
/// so no write lock is held while signing.
pub struct Issued {
    pub access: AccessClaims,
    pub id: Option<(Alg, IdClaims)>,
    pub refresh_token: Option<String>,
}

/// Handle one token request. `authorization` is the raw Authorization header, if any.
///
/// The code and refresh grants authenticate their client inside their own write unit: on the
/// writer's connection, whose page cache stays warm, the client row costs a fraction of a read
/// transaction of its own on a pooled connection (whose cache every commit empties), and the
/// request makes one unit of work instead of two. The other grants look the client up first.
pub fn handle(
    store: &Store,
    ring: &KeyRing,
    settings: &Settings,
    now: i64,
    authorization: Option<&str>,
    p: &Params,
) -> Result<TokenResponse, OAuthError> {
    let creds = client_auth::credentials(authorization, p)?;
    let (issued, grant) = match p.get("grant_type") {
        Some("authorization_code") => (
            authorization_code::exchange(store, settings, now, &creds, p)?,
            GrantType::AuthorizationCode,
        ),
        Some("refresh_token") => (
            refresh_token::exchange(store, settings, now, &creds, p)?,
            GrantType::RefreshToken,
        ),
        grant => {
            let client = store.read(|c| client_auth::check(c, &creds))??;
            let grant =
                grant.ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
            match grant {
                "client_credentials" => {
                    may_use(&client, grant)?;
                    let issued = client_credentials::exchange(store, settings, now, &client, p)?;
                    (issued, GrantType::ClientCredentials)
                }
                DEVICE_CODE => {
                    may_use(&client, grant)?;
                    let issued = device_code::exchange(store, settings, now, &client, p)?;
                    (issued, GrantType::DeviceCode)
                }
                _ => {
                    return Err(OAuthError::new(
                        ErrorCode::UnsupportedGrantType,
                        "unsupported grant_type",
                    ));
                }
            }
        }
    };
    sign(ring, settings, now, issued, grant)
}

/// The client may use `grant` (its registered grant types), or `unauthorized_client`.
fn may_use(client: &Client, grant: &str) -> Result<(), OAuthError> {
    if client.grant_types.iter().any(|g| g == grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("this client may not use the {grant} grant"),
        ))
    }
}

/// Inside a grant's write unit: the authenticated client, allowed to use `grant`, with the
/// grant's parameters (parsed before the unit); `Ok(Err)` when either is refused (the unit then
/// writes nothing). Errors keep the order of a separate check: the client first, then the
/// parameters.
fn client_for<P>(
    c: &Tx<'_>,
    creds: &Credentials,
    grant: &str,
    parsed: Result<P, OAuthError>,
) -> Result<Result<(Client, P), OAuthError>, StoreError> {
    Ok(client_auth::check(c, creds)?
        .and_then(|client| may_use(&client, grant).map(|()| client))
        .and_then(|client| parsed.map(|p| (client, p))))
}

/// Record that tokens were issued: the grant and the access token's `jti`, never a token.
fn audit_issued(
    c: &Tx<'_>,
    grant: &str,
    client_id: &str,
    subject: &str,
    jti: &str,
    now: i64,
) -> Result<(), StoreError> {
    crate::store::audit::insert_audit_event(
        c,
        &crate::store::audit::AuditEvent {
            at: now,
            kind: "token.issued".into(),
            subject: Some(subject.to_owned()),
            client_id: Some(client_id.to_owned()),
            detail: Some(serde_json::json!({ "grant": grant, "jti": jti }).to_string()),
            ..Default::default()
        },
    )
}

fn sign(
    ring: &KeyRing,
    settings: &Settings,
    now: i64,
    issued: Issued,
    grant: GrantType,
) -> Result<TokenResponse, OAuthError> {
    let access_token = signed_tokens::sign_access_token(ring, settings, &issued.access)
        .map_err(OAuthError::server_error)?;
    let id_token = match &issued.id {
        Some((alg, claims)) => Some(
            signed_tokens::sign_id_token(ring, settings, *alg, now, claims, Some(&access_token))
                .map_err(OAuthError::server_error)?,
        ),
        None => None,
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: issued.access.exp - now,
        id_token,
        refresh_token: issued.refresh_token,
        scope: issued.access.scope,
        grant,
    })
}
