//! The life of signing keys: created on first start, rotated on demand, retired keys kept for a while.

use crate::crypto::keys::{self, Alg, KeyMaterial, KeyRing};
use crate::store::{self, StoreError, Tx};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
}

/// Make sure every algorithm has an active key; returns the keys it created.
pub fn ensure_keys(c: &Tx<'_>, now: i64) -> Result<Vec<KeyMaterial>, KeyError> {
    let existing = store::keys::list_keys(c, now)?;
    let mut created = Vec::new();
    for alg in Alg::ALL {
        if !existing
            .iter()
            .any(|k| k.alg == alg && k.retired_at.is_none())
        {
            let k = keys::generate(alg, now)?;
            store::keys::insert_key(c, &k)?;
            created.push(k);
        }
    }
    Ok(created)
}

/// Retire the active keys of the given algorithms and create new ones.
pub fn rotate(c: &Tx<'_>, algs: &[Alg], now: i64) -> Result<Vec<KeyMaterial>, KeyError> {
    let mut created = Vec::new();
    for &alg in algs {
        let k = keys::generate(alg, now)?;
        store::keys::retire_keys(c, alg, now)?;
        store::keys::insert_key(c, &k)?;
        created.push(k);
    }
    Ok(created)
}

/// Rotate every algorithm whose active key is older than `max_age_secs`; returns the new keys.
pub fn rotate_due(c: &Tx<'_>, now: i64, max_age_secs: i64) -> Result<Vec<KeyMaterial>, KeyError> {
    let due: Vec<Alg> = store::keys::list_keys(c, now)?
        .iter()
        .filter(|k| k.retired_at.is_none() && now - k.created_at >= max_age_secs)
        .map(|k| k.alg)
        .collect();
    let mut algs = due;
    algs.sort();
    algs.dedup();
    rotate(c, &algs, now)
}

/// Load every key still worth publishing: active ones, and retired ones within `retention_secs`.
pub fn load_ring(c: &Tx<'_>, now: i64, retention_secs: i64) -> Result<KeyRing, KeyError> {
    let materials = store::keys::list_keys(c, now - retention_secs)?;
    Ok(KeyRing::load(&materials)?)
}
