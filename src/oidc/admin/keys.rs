//! Signing keys: list (made first when there are none), rotate.

use super::{Actor, AdminError, record};
use crate::crypto::keys::Alg;
use crate::crypto::keys::KeyMaterial;
use crate::oidc::signing_keys;
use crate::store::{Tx, audit, keys};

/// A signing key as `keys list` and the admin API show it (never the private key).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyView {
    pub kid: String,
    pub alg: &'static str,
    /// `active` or `retired`.
    pub status: &'static str,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl From<&KeyMaterial> for KeyView {
    fn from(k: &KeyMaterial) -> Self {
        KeyView {
            kid: k.kid.clone(),
            alg: k.alg.as_str(),
            status: if k.retired_at.is_some() {
                "retired"
            } else {
                "active"
            },
            created_at: k.created_at,
            retired_at: k.retired_at,
        }
    }
}

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
