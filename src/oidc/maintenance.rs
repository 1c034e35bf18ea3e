//! Periodic upkeep: key rotation and retirement, expired sessions and rows, old audit events.

use super::session_end;
use super::signing_keys::{self, KeyError};
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::store::{Store, StoreError, keys, passkeys, sweep, throttle};

/// Audit events deleted per transaction, and at most this many transactions per sweep: each
/// holds the write lock for a few milliseconds, and a backlog (say, right after retention was
/// shortened) goes over several sweeps, 100 000 events each.
const AUDIT_BATCH: i64 = 1_000;
const AUDIT_BATCHES_PER_SWEEP: usize = 100;
const DAY_SECS: i64 = 86_400;

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
    sweep_audit(store, now, settings.audit_retention_days)?;
    Ok(ring)
}

pub fn sweep(store: &Store, now: i64, session_idle_secs: i64) -> Result<(), StoreError> {
    let ended = store.write(|c| session_end::end_expired_sessions(c, now, session_idle_secs))?;
    let n = store.write(|c| {
        Ok::<_, StoreError>(
            sweep::delete_expired(c, now)?
                + passkeys::delete_expired_challenges(c, now)?
                + throttle::delete_expired(c, now)?,
        )
    })?;
    if n + ended > 0 {
        tracing::debug!(rows = n, sessions = ended, "swept expired rows");
    }
    Ok(())
}

/// Delete audit events older than `retention_days` days before `now` (0 keeps them forever),
/// in short transactions of [`AUDIT_BATCH`] events. Returns how many went. They go from the old
/// end of the hash chain, which keeps a checkpoint so the rest still verifies
/// (`audit_chain::prune`).
pub fn sweep_audit(store: &Store, now: i64, retention_days: i64) -> Result<usize, StoreError> {
    if retention_days <= 0 {
        return Ok(0);
    }
    let before = now.saturating_sub(retention_days.saturating_mul(DAY_SECS));
    let total = super::audit_chain::prune(store, before, AUDIT_BATCH, AUDIT_BATCHES_PER_SWEEP)?;
    if total > 0 {
        tracing::info!(
            events = total,
            retention_days,
            "deleted audit events past retention"
        );
    }
    Ok(total)
}
