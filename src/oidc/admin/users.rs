//! Users: create, show, disable/enable, set a password, remove, attributes, reset second factors.
//! The last enabled admin can be neither disabled nor removed.

use super::page::{Page, PageRequest};
use super::{Actor, AdminError, record};
use crate::domain::{Email, Username, access_names};
use crate::oidc::{mfa, session_end};
use crate::store::{
    StoreError, Tx, attributes, audit, groups, passkeys, refresh, upstream, users, users::User,
};

/// A user to create, checked (the password is hashed by the caller, outside the transaction:
/// hashing is slow and must not hold the write lock).
#[derive(Debug, Clone)]
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

impl UserDetail {
    /// The user with groups, attributes, second factors and passkeys, as `user show --json` and
    /// the admin API show it.
    pub fn to_json(&self) -> serde_json::Value {
        let mut out = serde_json::to_value(&self.user).unwrap_or_default();
        let keys: Vec<serde_json::Value> = self
            .passkeys
            .iter()
            .map(|k| {
                serde_json::json!({
                    "name": k.name,
                    "created_at": k.created_at,
                    "last_used_at": k.last_used_at,
                    "synced": k.backup_eligible,
                })
            })
            .collect();
        if let Some(o) = out.as_object_mut() {
            o.insert("groups".into(), self.groups.clone().into());
            o.insert("attributes".into(), serde_json::json!(self.attributes));
            o.insert("second_factors".into(), factors_json(&self.factors));
            o.insert("passkeys".into(), keys.into());
            o.insert(
                "upstream_identities".into(),
                serde_json::json!(self.identities),
            );
        }
        out
    }
}

/// A user's second factors as JSON (`show`, and what `reset-mfa` removed).
pub fn factors_json(f: &mfa::Enrolled) -> serde_json::Value {
    serde_json::json!({
        "totp": f.totp_since.is_some(),
        "totp_since": f.totp_since,
        "passkeys": f.passkeys,
        "recovery_codes_left": f.recovery_left,
        "recovery_codes_total": f.recovery_total,
    })
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

/// The longest search a person types.
const MAX_QUERY_CHARS: usize = 200;

/// Users whose username, email or name contains `query` (case-insensitively; everyone when it
/// is blank), a page at a time in username order (the cursor is the last username).
pub fn search(c: &Tx<'_>, query: &str, page: &PageRequest) -> Result<Page<User>, AdminError> {
    let query = query.trim();
    if query.chars().count() > MAX_QUERY_CHARS || query.chars().any(char::is_control) {
        return Err(AdminError::Invalid(format!(
            "a search must be at most {MAX_QUERY_CHARS} characters without control characters"
        )));
    }
    let limit = page.limit()?;
    let rows = users::search_users(c, query, page.after.as_deref(), limit + 1)?;
    Ok(Page::of(rows, limit, |u: &User| u.username.clone()))
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

/// A change to a user's profile; `None` keeps the field as it is.
#[derive(Debug, Default)]
pub struct UserUpdate {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    /// `Some("")` clears the name.
    pub name: Option<String>,
    pub is_admin: Option<bool>,
}

/// Change a user's email, name or admin flag. Demoting the last enabled admin is refused; a
/// new email is unverified unless the update says otherwise.
pub fn update(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    username: &str,
    change: &UserUpdate,
) -> Result<User, AdminError> {
    let u = users::get_user_by_username(c, username)?;
    let email = match &change.email {
        Some(e) => Email::parse(e)?.as_str().to_owned(),
        None => u.email.clone(),
    };
    let email_changed = !email.eq_ignore_ascii_case(&u.email);
    let email_verified = change
        .email_verified
        .unwrap_or(u.email_verified && !email_changed);
    let name = match &change.name {
        Some(n) => Some(n.trim()).filter(|n| !n.is_empty()).map(str::to_owned),
        None => u.name.clone(),
    };
    if name
        .as_deref()
        .is_some_and(|n| n.chars().count() > 200 || n.chars().any(char::is_control))
    {
        return Err(AdminError::Invalid(
            "the name must be at most 200 printable characters".into(),
        ));
    }
    let is_admin = change.is_admin.unwrap_or(u.is_admin);
    if u.is_admin && !is_admin {
        keep_an_admin(c, &u)?;
    }
    users::update_user_profile(
        c,
        u.id,
        &users::UserProfile {
            email: &email,
            email_verified,
            name: name.as_deref(),
            is_admin,
        },
        now,
    )?;
    let kind = match (u.is_admin, is_admin) {
        (false, true) => "user.promoted",
        (true, false) => "user.demoted",
        _ => "user.updated",
    };
    audit_user(c, actor, now, kind, &u.username)?;
    Ok(users::get_user(c, u.id)?)
}

/// Forget a user's consent to an app and revoke the app's refresh tokens for them (as the user
/// can on their account page). False when the user had nothing with that app.
pub fn revoke_app(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    username: &str,
    client_id: &str,
) -> Result<(), AdminError> {
    let u = users::get_user_by_username(c, username)?;
    if !crate::oidc::account::revoke_app(c, &u, client_id, now)? {
        return Err(StoreError::NotFound(format!("no app {client_id:?}")).into());
    }
    audit_user(c, actor, now, "user.app_revoked", &u.username)?;
    Ok(())
}

/// End one of a user's sessions (by its public sid), as the admin: as
/// [`super::sessions::end`], and only when the session is this user's.
pub fn end_session(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    username: &str,
    sid: &str,
) -> Result<(), AdminError> {
    let u = users::get_user_by_username(c, username)?;
    match crate::store::sessions::find_session_by_sid(c, sid)? {
        Some(s) if s.user_id == u.id => super::sessions::end(c, actor, now, sid).map(drop),
        _ => Err(StoreError::NotFound(format!("{username:?} has no such session")).into()),
    }
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
