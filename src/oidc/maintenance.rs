//! Periodic clean-up of everything that has expired.

use crate::store::{Store, StoreError, sweep};

pub fn sweep(store: &Store, now: i64) -> Result<(), StoreError> {
    let n = store.write(|c| sweep::delete_expired(c, now))?;
    if n > 0 {
        tracing::debug!(rows = n, "swept expired rows");
    }
    Ok(())
}
