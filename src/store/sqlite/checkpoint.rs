//! WAL checkpoints outside the writer turn.
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold, so with it
//! every ~80th write held the writer turn for a checkpoint too (two fsyncs and the page copies,
//! ~5 ms), and every other writer waited: bench/README.md, "Performance II". Pooled connections
//! turn it off (`wal_autocheckpoint = 0`), and the write that completes every [`EVERY`]th commit
//! runs a PASSIVE checkpoint after it has left the turn: writers go on meanwhile, and one
//! checkpoint runs at a time.

use super::super::Pool;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Commits between checkpoints (a refresh writes ~12 pages: ~800 pages, near SQLite's 1000).
pub const EVERY: u64 = 64;

#[derive(Default)]
pub struct Checkpointer {
    since: AtomicU64,
    running: AtomicBool,
}

impl Checkpointer {
    /// Count a commit; every [`EVERY`]th runs a PASSIVE checkpoint unless one is running. A
    /// failed checkpoint is only logged: the WAL keeps the data, and the next one retries.
    pub fn after_commit(&self, pool: &Pool) {
        if self.since.fetch_add(1, Ordering::Relaxed) + 1 < EVERY {
            return;
        }
        if self.running.swap(true, Ordering::Acquire) {
            return;
        }
        self.since.store(0, Ordering::Relaxed);
        let done = pool.get().map_err(|e| e.to_string()).and_then(|c| {
            c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                .map_err(|e| e.to_string())
        });
        if let Err(e) = done {
            tracing::warn!(error = %e, "WAL checkpoint failed; the next one retries");
        }
        self.running.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn the_wal_is_checkpointed_outside_the_turn_every_so_many_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latchkey.db");
        let store = Store::open(&path).unwrap();
        let wal = dir.path().join("latchkey.db-wal");
        let write = |n: i64| {
            store
                .write(|c| {
                    c.conn().execute(
                        "INSERT INTO audit_events (at, kind) VALUES (?1, 'checkpoint-test')",
                        [n],
                    )?;
                    Ok::<_, crate::store::StoreError>(())
                })
                .unwrap()
        };
        // Without checkpoints the WAL only grows; with them it is reused from its start, so
        // after many commits it stays far below the sum of what was written.
        for n in 0..(super::EVERY as i64 * 20) {
            write(n);
        }
        let frames_written = super::EVERY * 20;
        let wal_frames = std::fs::metadata(&wal).unwrap().len() / 4120;
        assert!(
            wal_frames < frames_written,
            "the WAL holds {wal_frames} frames after {frames_written} commits: never checkpointed"
        );
        let in_db: i64 = store
            .read(|c| {
                c.conn().query_row(
                    "SELECT COUNT(*) FROM audit_events WHERE kind = 'checkpoint-test'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(in_db, super::EVERY as i64 * 20);
    }
}
