//! Periodic clean-up of everything that has expired.

use super::session_end;
use crate::store::{Store, StoreError, sweep};

pub fn sweep(store: &Store, now: i64, session_idle_secs: i64) -> Result<(), StoreError> {
    let ended = store.write(|c| session_end::end_expired_sessions(c, now, session_idle_secs))?;
    let n = store.write(|c| sweep::delete_expired(c, now))?;
    if n + ended > 0 {
        tracing::debug!(rows = n, sessions = ended, "swept expired rows");
    }
    Ok(())
}
