//! Periodic upkeep: key rotation and retirement, expired sessions and rows.

use super::session_end;
use super::signing_keys::{self, KeyError};
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::store::{Store, StoreError, keys, sweep};

/// One round of upkeep; returns the key ring to serve from now on.
pub fn run_once(store: &Store, settings: &Settings, now: i64) -> Result<KeyRing, KeyError> {
    let retention = settings.key_retention_secs;
    let ring = store.write(|c| {
        for k in signing_keys::rotate_due(c, now, settings.key_rotation_secs)? {
            tracing::info!(kid = %k.kid, alg = k.alg.as_str(), "rotated signing key automatically");
        }
        keys::delete_retired_keys(c, now - retention)?;
        signing_keys::load_ring(c, now, retention)
    })?;
    sweep(store, now, settings.session_idle_timeout_secs)?;
    Ok(ring)
}

pub fn sweep(store: &Store, now: i64, session_idle_secs: i64) -> Result<(), StoreError> {
    let ended = store.write(|c| session_end::end_expired_sessions(c, now, session_idle_secs))?;
    let n = store.write(|c| sweep::delete_expired(c, now))?;
    if n + ended > 0 {
        tracing::debug!(rows = n, sessions = ended, "swept expired rows");
    }
    Ok(())
}
