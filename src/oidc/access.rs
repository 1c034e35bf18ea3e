//! Per-app access: a client restricted to groups may only be used by their members.

use super::error::OAuthError;
use crate::store::Tx;
use crate::store::clients::Client;
use crate::store::users::User;
use crate::store::{StoreError, audit, groups};

/// True when `user` may sign in to `client` (it has no allowed groups, or the user is in one).
pub fn may_use(c: &Tx<'_>, user: &User, client: &Client) -> Result<bool, StoreError> {
    groups::user_may_use_client(c, user.id, client.id)
}

/// At the token endpoint: `invalid_grant` (audited) when the user may no longer use `client`.
pub fn check_at_token(
    c: &Tx<'_>,
    user: &User,
    client: &Client,
    grant: &str,
    now: i64,
) -> Result<Result<(), OAuthError>, StoreError> {
    if may_use(c, user, client)? {
        return Ok(Ok(()));
    }
    record_denied(c, user, client, grant, now)?;
    Ok(Err(OAuthError::invalid_grant(
        "the user may no longer use this application",
    )))
}

/// Record a refusal; `at` says where (authorize, consent, token, device).
pub fn record_denied(
    c: &Tx<'_>,
    user: &User,
    client: &Client,
    at: &str,
    now: i64,
) -> Result<(), StoreError> {
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "access.denied".into(),
            actor: Some(user.username.clone()),
            subject: Some(user.subject.clone()),
            client_id: Some(client.client_id.clone()),
            detail: Some(
                serde_json::json!({ "at": at, "reason": "not in an allowed group" }).to_string(),
            ),
            ..Default::default()
        },
    )
}
