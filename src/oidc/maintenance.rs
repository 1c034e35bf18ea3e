//! Periodic upkeep: key rotation and retirement, expired sessions and rows, old audit events,
//! done by one node at a time; and the key ring every node reloads when the keys change.

use super::session_end;
use super::signing_keys::{self, KeyError};
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::store::upkeep::KeysVersion;
use crate::store::{Store, StoreError, keys, passkeys, sweep, throttle, upkeep};

/// Audit events deleted per transaction, and at most this many transactions per sweep: each
/// holds the write lock for a few milliseconds, and a backlog (say, right after retention was
/// shortened) goes over several sweeps, 100 000 events each.
const AUDIT_BATCH: i64 = 1_000;
const AUDIT_BATCHES_PER_SWEEP: usize = 100;
const DAY_SECS: i64 = 86_400;

/// One round of upkeep (skipped when another node is doing one), then the key ring to serve.
pub fn run_once(store: &Store, settings: &Settings, now: i64) -> Result<KeyRing, KeyError> {
    upkeep(store, settings, now)?;
    let retention = settings.key_retention_secs;
    let materials = store.read(|c| keys::list_keys(c, now - retention))?;
    Ok(KeyRing::load(&materials)?)
}

/// This node's round of upkeep, unless another node on the same database is doing one
/// ([`Store::try_upkeep`]): keys past the rotation period replaced, keys past retention
/// forgotten, expired rows swept, audit events past retention deleted. Returns whether it ran.
/// Nodes pick up new keys through [`KeyWatch`], this one included.
pub fn upkeep(store: &Store, settings: &Settings, now: i64) -> Result<bool, KeyError> {
    let ran = store.try_upkeep(|store| {
        store.write(|c| {
            // "Is a rotation due?" and the new keys in one write unit: a node deciding at the
            // same moment waits for this one, then finds nothing due.
            for k in signing_keys::rotate_due(c, now, settings.key_rotation_secs)? {
                tracing::info!(kid = %k.kid, alg = k.alg.as_str(), "rotated signing key automatically");
            }
            keys::delete_retired_keys(c, now - settings.key_retention_secs)?;
            Ok::<_, KeyError>(())
        })?;
        sweep(store, now, settings.session_idle_timeout_secs)?;
        sweep_audit(store, now, settings.audit_retention_days)?;
        Ok::<_, KeyError>(())
    })?;
    Ok(ran.is_some())
}

/// Which signing keys this node's ring was loaded from: a tiny query ([`upkeep::keys_version`])
/// tells whether another node (or `latchkey keys rotate`) changed them since.
#[derive(Default)]
pub struct KeyWatch {
    seen: Option<KeysVersion>,
}

impl KeyWatch {
    /// The ring to serve from now on when the signing keys changed since the last call, or
    /// when `force` (retired keys also leave the ring by age, with no change in the table);
    /// `None` when nothing changed. The first call always loads.
    pub fn check(
        &mut self,
        store: &Store,
        retention_secs: i64,
        now: i64,
        force: bool,
    ) -> Result<Option<KeyRing>, KeyError> {
        let seen = self.seen.as_ref();
        // The version before the keys: a change in between costs one more load, never a
        // missed one.
        let (version, materials) = store.read(|c| {
            let version = upkeep::keys_version(c)?;
            if !force && seen == Some(&version) {
                return Ok((version, None));
            }
            Ok((version, Some(keys::list_keys(c, now - retention_secs)?)))
        })?;
        let Some(materials) = materials else {
            return Ok(None);
        };
        let ring = KeyRing::load(&materials)?;
        self.seen = Some(version);
        Ok(Some(ring))
    }
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
