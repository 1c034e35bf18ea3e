//! Admin API keys: create (the key is shown once), list, revoke, and authenticate a request.
//! A key is `lka_` and 256 random bits; only its SHA-256 is stored.

use super::{Actor, AdminError, record};
use crate::crypto::random;
use crate::domain::access_names;
use crate::store::admin_keys::{self, AdminKey, NewAdminKey};
use crate::store::{StoreError, Tx, audit};

/// What every key starts with: secret scanners and people can tell what leaked.
pub const PREFIX: &str = "lka_";

/// A use moves `last_used_at` at most this often.
const TOUCH_GRANULARITY_SECS: i64 = 60;

/// A key as `list` shows it (never the key itself).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    #[serde(flatten)]
    pub key: AdminKey,
    /// `active`, `expired` or `revoked`.
    pub status: &'static str,
}

pub fn status(k: &AdminKey, now: i64) -> &'static str {
    if k.revoked_at.is_some() {
        "revoked"
    } else if k.expires_at.is_some_and(|t| t <= now) {
        "expired"
    } else {
        "active"
    }
}

fn audit_key(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    kind: &str,
    name: &str,
) -> Result<(), StoreError> {
    record(
        c,
        actor,
        now,
        audit::AuditEvent {
            kind: kind.into(),
            detail: Some(serde_json::json!({ "admin_key": name }).to_string()),
            ..Default::default()
        },
    )
}

/// Make a key named `name` that expires `lifetime_secs` from now (never when `None`); returns it
/// with the key, which is not stored and cannot be shown again.
pub fn create(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    name: &str,
    lifetime_secs: Option<i64>,
) -> Result<(AdminKey, String), AdminError> {
    let name = access_names::admin_key_name(name)?;
    if lifetime_secs.is_some_and(|s| s <= 0) {
        return Err(AdminError::Invalid(
            "an admin key's lifetime must be positive".into(),
        ));
    }
    let key = format!("{PREFIX}{}", random::token());
    let created = admin_keys::insert_admin_key(
        c,
        &NewAdminKey {
            name: &name,
            key_hash: &random::hash_token(&key),
            created_by: &actor.audit_name(),
            expires_at: lifetime_secs.map(|s| now.saturating_add(s)),
        },
        now,
    )?;
    audit_key(c, actor, now, "admin_key.created", &created.name)?;
    Ok((created, key))
}

pub fn list(c: &Tx<'_>, now: i64) -> Result<Vec<KeyInfo>, StoreError> {
    Ok(admin_keys::list_admin_keys(c)?
        .into_iter()
        .map(|key| KeyInfo {
            status: status(&key, now),
            key,
        })
        .collect())
}

/// Revoke a key: requests with it are refused from now on. Revoking a revoked key is refused
/// too (the first revocation's time stays).
pub fn revoke(c: &Tx<'_>, actor: &Actor, now: i64, name: &str) -> Result<AdminKey, AdminError> {
    let k = admin_keys::get_admin_key(c, name)?;
    if !admin_keys::revoke_admin_key(c, k.id, now)? {
        return Err(AdminError::Invalid(format!(
            "the admin key {:?} is revoked already",
            k.name
        )));
    }
    audit_key(c, actor, now, "admin_key.revoked", &k.name)?;
    Ok(admin_keys::get_admin_key(c, &k.name)?)
}

/// The actor a presented key stands for, or `None` when it is not a key, unknown, expired or
/// revoked (the caller answers all of them alike).
///
/// The key is found by its SHA-256 through an index, as session cookies and refresh tokens are:
/// the lookup's timing depends on the hash only, and learning which hashes are near a stored
/// one tells nothing about a key (that would take inverting SHA-256 on 256 random bits), so a
/// constant-time comparison would add nothing here.
pub fn authenticate(c: &Tx<'_>, presented: &str, now: i64) -> Result<Option<Actor>, StoreError> {
    if !presented.starts_with(PREFIX) || presented.len() > 128 {
        return Ok(None);
    }
    let hash = random::hash_token(presented);
    let Some(k) = admin_keys::find_admin_key_by_hash(c, &hash)? else {
        return Ok(None);
    };
    if status(&k, now) != "active" {
        return Ok(None);
    }
    admin_keys::touch_admin_key(c, k.id, now, TOUCH_GRANULARITY_SECS)?;
    Ok(Some(Actor::ApiKey(k.name)))
}
