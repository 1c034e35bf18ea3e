//! Signing keys: list (made first when there are none), rotate.

use super::{Actor, AdminError, record};
use crate::crypto::keys::Alg;
use crate::crypto::keys::KeyMaterial;
use crate::oidc::signing_keys;
use crate::store::{Tx, audit, keys};

/// The active keys and those retired less than `retention_secs` ago; keys are made first when
/// there are none yet.
pub fn list(c: &Tx<'_>, now: i64, retention_secs: i64) -> Result<Vec<KeyMaterial>, AdminError> {
    signing_keys::ensure_keys(c, now)?;
    published(c, now, retention_secs)
}

/// The keys [`list`] lists, without making any: for a running server (which made them at
/// start), in a read-only unit.
pub fn published(
    c: &Tx<'_>,
    now: i64,
    retention_secs: i64,
) -> Result<Vec<KeyMaterial>, AdminError> {
    Ok(keys::list_keys(c, now - retention_secs)?)
}

/// Make new keys for `alg` (every algorithm when `None`) and retire the current ones; returns
/// the new keys.
pub fn rotate(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    alg: Option<&str>,
) -> Result<Vec<KeyMaterial>, AdminError> {
    let algs = match alg {
        None => Alg::ALL.to_vec(),
        Some(a) => vec![Alg::parse(a).ok_or_else(|| {
            AdminError::Invalid(format!(
                "unknown algorithm {a:?}: use RS256, ES256 or EdDSA"
            ))
        })?],
    };
    let created = signing_keys::rotate(c, &algs, now)?;
    record(
        c,
        actor,
        now,
        audit::AuditEvent {
            kind: "keys.rotated".into(),
            ..Default::default()
        },
    )?;
    Ok(created)
}
