//! SQLite write units: one `BEGIN IMMEDIATE` transaction in this process's writer turn.

use crate::store::durability::Committer;
use crate::store::{Pool, StoreError, Tx};
use rusqlite::TransactionBehavior;

/// SQLite: `BEGIN IMMEDIATE` in this process's writer turn; outside the turn, wait until the
/// commit is as durable as the mode promises. A unit that changed no row returns at once.
pub fn write<T, E: From<StoreError>>(
    pool: &Pool,
    committer: &Committer,
    wait: bool,
    f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let (out, seq, wait) = {
        let turn = committer.begin()?;
        let mut conn = pool.get().map_err(StoreError::from)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let changes_before = tx.total_changes();
        let must_sync = std::cell::Cell::new(wait);
        let out = f(&Tx::new(&tx).with_sync_mark(&must_sync))?;
        let wait = must_sync.get();
        // A unit that only read (a sign-in step that decided to change nothing) wrote no
        // WAL frame: there is nothing to number or wait for.
        let wrote = tx.total_changes() != changes_before;
        let started = std::time::Instant::now();
        tx.commit().map_err(StoreError::from)?;
        let took = started.elapsed();
        drop(conn); // back to the pool before the turn passes on
        if !wrote {
            return Ok(out);
        }
        (out, turn.committed(took), wait)
    };
    // Outside the turn: later writers commit while this one waits for its fsync.
    if wait {
        committer.wait_durable(seq)?;
    }
    Ok(out)
}
