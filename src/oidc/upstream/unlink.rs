//! Unlinking an identity: the account page never takes the last way in (a password, a passkey
//! or another linked identity must remain); an administrator may.

use crate::store::upstream as store;
use crate::store::users::User;
use crate::store::{StoreError, Tx, audit, passkeys};
use serde_json::json;

/// Whether `user` has a password (an account a provider made has none).
pub fn has_password(user: &User) -> bool {
    crate::oidc::account::has_password(user)
}

/// Whether `user` can still sign in without the identity `except`: a password, a passkey, or
/// another linked identity.
pub fn other_way_in(c: &Tx<'_>, user: &User, except: i64) -> Result<bool, StoreError> {
    Ok(has_password(user)
        || !passkeys::list_user_passkeys(c, user.id)?.is_empty()
        || store::list_user_identities(c, user.id)?
            .iter()
            .any(|i| i.id != except))
}

/// Unlink one identity and audit it (`upstream.unlinked`, by `actor`). The caller decides
/// whether the last way in may go (the account page: never; an admin: yes).
pub fn unlink(
    c: &Tx<'_>,
    user: &User,
    identity: &store::Identity,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    store::delete_identity(c, identity.id)?;
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "upstream.unlinked".into(),
            actor: Some(actor.to_owned()),
            subject: Some(user.subject.clone()),
            detail: Some(
                json!({
                    "upstream": identity.upstream, "issuer": identity.issuer,
                    "sub": identity.subject, "username": user.username,
                })
                .to_string(),
            ),
            ..Default::default()
        },
    )
}

/// Why the account page did not unlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinked {
    Done,
    NotFound,
    /// It is the user's last way in (no password, passkey or other identity).
    LastWayIn,
}

/// The account page's unlink: one of the user's own identities, never the last way in.
pub fn unlink_own(
    c: &Tx<'_>,
    user: &User,
    identity_id: i64,
    now: i64,
) -> Result<Unlinked, StoreError> {
    let Some(i) = store::list_user_identities(c, user.id)?
        .into_iter()
        .find(|i| i.id == identity_id)
    else {
        return Ok(Unlinked::NotFound);
    };
    if !other_way_in(c, user, i.id)? {
        return Ok(Unlinked::LastWayIn);
    }
    unlink(c, user, &i, &user.username, now)?;
    Ok(Unlinked::Done)
}
