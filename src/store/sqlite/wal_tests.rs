//! The WAL under load: SQLite's own checkpoints keep it bounded.

use crate::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Readers that never stop while writers commit must not keep the WAL from being reused:
/// a WAL that only grows fills the disk of a busy server (checkpoint starvation).
#[test]
fn the_wal_stays_bounded_while_readers_and_writers_never_pause() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("latchkey.db")).unwrap());
    let wal = dir.path().join("latchkey.db-wal");
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    store
                        .read(|c| {
                            c.conn()
                                .query_row("SELECT COUNT(*) FROM audit_events", [], |r| {
                                    r.get::<_, i64>(0)
                                })
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    let commits = 1500;
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                for n in 0..commits {
                    store
                        .write(|c| {
                            c.conn().execute(
                                "INSERT INTO audit_events (at, kind) VALUES (?1, 'wal-test')",
                                [w * commits + n],
                            )?;
                            Ok::<_, crate::store::StoreError>(())
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    let mut largest = 0;
    for w in writers {
        while !w.is_finished() {
            largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    largest = largest.max(std::fs::metadata(&wal).unwrap().len());
    // Each commit writes ~3 pages (the row and two indexes): ~9,000 frames in all. SQLite
    // checkpoints at 1,000; the WAL restarts from its start after a complete one.
    let frames = largest / 4120;
    assert!(
        frames < 3000,
        "the WAL reached {frames} frames over {} commits: it is not being reused",
        2 * commits
    );
    let rows: i64 = store
        .read(|c| {
            c.conn().query_row(
                "SELECT COUNT(*) FROM audit_events WHERE kind = 'wal-test'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(rows, 2 * commits);
}
