//! Users: create, show, disable/enable, set a password, remove, attributes, reset second factors.
//! The last enabled admin can be neither disabled nor removed.

use super::{Actor, AdminError, record};
use crate::domain::{Email, Username, access_names};
use crate::oidc::{mfa, session_end};
use crate::store::{
    StoreError, Tx, attributes, audit, groups, passkeys, refresh, upstream, users, users::User,
};

/// A user to create, checked (the password is hashed by the caller, outside the transaction:
/// hashing is slow and must not hold the write lock).
#[derive(Debug)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub name: Option<String>,
    pub is_admin: bool,
    pub email_verified: bool,
}

impl NewUser {
    pub fn parse(
        username: &str,
        email: &str,
        name: Option<&str>,
        is_admin: bool,
        email_verified: bool,
    ) -> Result<Self, AdminError> {
        Ok(Self {
            username: Username::parse(username)?,
            email: Email::parse(email)?,
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            is_admin,
            email_verified,
        })
    }
}

/// A user with everything `show` tells about them.
#[derive(Debug)]
pub struct UserDetail {
    pub user: User,
    pub groups: Vec<String>,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub factors: mfa::Enrolled,
    pub passkeys: Vec<passkeys::Passkey>,
    /// Identities at upstream providers (`[[upstream]]`), oldest first.
    pub identities: Vec<upstream::Identity>,
}

fn audit_user(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    kind: &str,
    username: &str,
) -> Result<(), StoreError> {
    record(
        c,
        actor,
        now,
        audit::AuditEvent {
            kind: kind.into(),
            subject: Some(username.into()),
            ..Default::default()
        },
    )
}

pub fn add(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    new: &NewUser,
    password_hash: &str,
) -> Result<User, AdminError> {
    let subject = uuid::Uuid::new_v4().to_string();
    let u = users::insert_user(
        c,
        &users::NewUser {
            subject: &subject,
            username: new.username.as_str(),
            email: new.email.as_str(),
            email_verified: new.email_verified,
            name: new.name.as_deref(),
            password_hash,
            is_admin: new.is_admin,
        },
        now,
    )?;
    audit_user(c, actor, now, "user.created", new.username.as_str())?;
    Ok(u)
}

pub fn list(c: &Tx<'_>) -> Result<Vec<User>, StoreError> {
    users::list_users(c)
}

pub fn show(c: &Tx<'_>, username: &str) -> Result<UserDetail, StoreError> {
    let user = users::get_user_by_username(c, username)?;
    Ok(UserDetail {
        groups: groups::list_user_group_names(c, user.id)?,
        attributes: attributes::list_user_attributes(c, user.id)?,
        factors: mfa::enrolled(c, user.id)?,
        passkeys: passkeys::list_user_passkeys(c, user.id)?,
        identities: upstream::list_user_identities(c, user.id)?,
        user,
    })
}

/// Unlink the user's identities at upstream `upstream_id` (all of them, when several are
/// linked). Returns how many went, and whether the user can still sign in some other way (an
/// admin may remove the last way in; `set-password` gives a new one).
pub fn unlink(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    username: &str,
    upstream_id: &str,
) -> Result<(usize, bool), AdminError> {
    let u = users::get_user_by_username(c, username)?;
    let linked: Vec<upstream::Identity> = upstream::list_user_identities(c, u.id)?
        .into_iter()
        .filter(|i| i.upstream == upstream_id)
        .collect();
    if linked.is_empty() {
        return Err(StoreError::NotFound(format!(
            "user {username:?} has no identity linked at upstream {upstream_id:?}"
        ))
        .into());
    }
    for i in &linked {
        crate::oidc::upstream::unlink::unlink(c, &u, i, &actor.audit_name(), now)?;
    }
    let still = crate::oidc::upstream::unlink::other_way_in(c, &u, 0)?;
    Ok((linked.len(), still))
}

/// Set an attribute; returns the key and value as stored.
pub fn set_attribute(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    username: &str,
    key: &str,
    value: &str,
) -> Result<(String, String), AdminError> {
    let key = access_names::claim_name(key)?;
    let value = access_names::attribute_value(value)?;
    let u = users::get_user_by_username(c, username)?;
    attributes::upsert_user_attribute(c, u.id, &key, &value)?;
    audit_user(c, actor, now, "user.attribute_set", &u.username)?;
    Ok((key, value))
}

pub fn unset_attribute(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    username: &str,
    key: &str,
) -> Result<(), AdminError> {
    let u = users::get_user_by_username(c, username)?;
    if !attributes::delete_user_attribute(c, u.id, key)? {
        return Err(
            StoreError::NotFound(format!("user {username:?} has no attribute {key:?}")).into(),
        );
    }
    audit_user(c, actor, now, "user.attribute_unset", &u.username)?;
    Ok(())
}

/// Remove every second factor and recovery code, and end the user's sessions; returns what
/// they had.
pub fn reset_mfa(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    username: &str,
) -> Result<mfa::Enrolled, AdminError> {
    let u = users::get_user_by_username(c, username)?;
    let before = mfa::reset_all(c, &u)?;
    session_end::end_user_sessions(c, &u, "mfa_reset", now)?;
    audit_user(c, actor, now, "mfa.reset", &u.username)?;
    Ok(before)
}

/// Disable (sign-in refused, sessions ended, refresh tokens revoked) or enable a user.
pub fn set_disabled(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    username: &str,
    disabled: bool,
) -> Result<(), AdminError> {
    let u = users::get_user_by_username(c, username)?;
    if disabled {
        keep_an_admin(c, &u)?;
    }
    users::update_user_disabled(c, u.id, disabled, now)?;
    if disabled {
        session_end::end_user_sessions(c, &u, "user_disabled", now)?;
        refresh::revoke_user_refresh_tokens(c, u.id, now)?;
    }
    let kind = if disabled {
        "user.disabled"
    } else {
        "user.enabled"
    };
    audit_user(c, actor, now, kind, &u.username)?;
    Ok(())
}

/// A new password hash; the user's sessions and refresh tokens end with the old password.
pub fn set_password(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    username: &str,
    password_hash: &str,
) -> Result<(), AdminError> {
    let u = users::get_user_by_username(c, username)?;
    users::update_user_password(c, u.id, password_hash, now)?;
    session_end::end_user_sessions(c, &u, "password_changed", now)?;
    refresh::revoke_user_refresh_tokens(c, u.id, now)?;
    audit_user(c, actor, now, "user.password_changed", &u.username)?;
    Ok(())
}

/// Delete a user and everything issued to them.
pub fn remove(c: &Tx<'_>, actor: &Actor, now: i64, username: &str) -> Result<(), AdminError> {
    let u = users::get_user_by_username(c, username)?;
    keep_an_admin(c, &u)?;
    session_end::end_user_sessions(c, &u, "user_removed", now)?;
    users::delete_user(c, u.id)?;
    audit_user(c, actor, now, "user.removed", &u.username)?;
    Ok(())
}

/// Refuse to take away the last enabled admin (disable, demote, remove): nobody could run
/// `/admin` after it.
fn keep_an_admin(c: &Tx<'_>, u: &User) -> Result<(), AdminError> {
    if u.is_admin && !u.disabled && users::count_enabled_admins(c)? <= 1 {
        return Err(AdminError::LastAdmin(u.username.clone()));
    }
    Ok(())
}
