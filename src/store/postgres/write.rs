//! PostgreSQL write units: one transaction under the cluster-wide write lock.

use crate::store::{Durability, StoreError, Tx};

thread_local! {
    /// Set while this thread is inside a PostgreSQL write unit (a nested one would wait for
    /// the outer unit's lock forever).
    static IN_PG_WRITE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// PostgreSQL: one transaction holding the cluster-wide write lock until it ends. `relaxed`
/// commits without waiting for the WAL flush (`synchronous_commit = off`).
pub fn write<T, E: From<StoreError>>(
    pool: &super::Pool,
    turn: &std::sync::Mutex<()>,
    durability: Durability,
    wait: bool,
    f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    if IN_PG_WRITE.with(|w| w.replace(true)) {
        return Err(StoreError::NestedWrite.into());
    }
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            IN_PG_WRITE.with(|w| w.set(false));
        }
    }
    let _reset = Reset;
    // A writer that panicked left no transaction open (its connection was dropped): go on.
    let _turn = turn.lock().unwrap_or_else(|e| e.into_inner());
    let conn = pool.get().map_err(StoreError::from)?;
    let sync = if durability == Durability::Relaxed || !wait {
        "SET LOCAL synchronous_commit = off;"
    } else {
        ""
    };
    conn.batch(&format!(
        "BEGIN; {sync} SELECT pg_advisory_xact_lock({});",
        super::locks::WRITE
    ))?;
    let must_sync = std::cell::Cell::new(false);
    match f(&Tx::pg(&conn).with_sync_mark(&must_sync)) {
        Ok(out) => {
            if must_sync.get() && !wait && durability != Durability::Relaxed {
                conn.batch("SET LOCAL synchronous_commit = on; COMMIT")?;
            } else {
                conn.batch("COMMIT")?;
            }
            Ok(out)
        }
        Err(e) => {
            // A failed rollback leaves the connection unusable; the pool drops it.
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}
