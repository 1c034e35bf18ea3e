//! Batches of write units (`write.rs`): units queued behind each other share one COMMIT, and
//! each still succeeds or fails on its own.

use crate::store::{Durability, Store, StoreError};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn open(dir: &std::path::Path) -> Store {
    Store::open_with(&dir.join("latchkey.db"), Durability::Group).unwrap()
}

fn insert(c: &crate::store::Tx<'_>, n: i64) -> Result<(), StoreError> {
    c.conn().execute(
        "INSERT INTO audit_events (at, kind) VALUES (?1, 'batch-test')",
        [n],
    )?;
    Ok(())
}

fn rows(store: &Store) -> Vec<i64> {
    store
        .sql(|c| {
            let mut st =
                c.prepare("SELECT at FROM audit_events WHERE kind = 'batch-test' ORDER BY at")?;
            let at = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(at)
        })
        .unwrap()
}

/// A thread writing one row `n` in a unit of its own.
fn spawn_insert(store: &Store, n: i64) -> JoinHandle<Result<(), StoreError>> {
    let store = store.clone();
    std::thread::spawn(move || store.write(|c| insert(c, n)))
}

/// Wait until `n` writers are queued for the writer turn.
fn until_queued(store: &Store, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.batches().queued() < n {
        assert!(Instant::now() < deadline, "writers never queued");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A first unit that holds the writer turn (having inserted `n`) until told to go on.
fn holding_the_turn(
    store: &Store,
    n: i64,
) -> (mpsc::Sender<()>, JoinHandle<Result<(), StoreError>>) {
    holding_the_turn_as(store, n, true)
}

/// [`holding_the_turn`] in a durable (`write`) or a short-lived (`write_short_lived`) unit.
fn holding_the_turn_as(
    store: &Store,
    n: i64,
    durable: bool,
) -> (mpsc::Sender<()>, JoinHandle<Result<(), StoreError>>) {
    let (go, gate) = mpsc::channel::<()>();
    let (inside_tx, inside) = mpsc::channel::<()>();
    let store = store.clone();
    let first = std::thread::spawn(move || {
        let unit = move |c: &crate::store::Tx<'_>| {
            insert(c, n)?;
            inside_tx.send(()).ok();
            gate.recv_timeout(Duration::from_secs(30)).ok();
            Ok(())
        };
        if durable {
            store.write(unit)
        } else {
            store.write_short_lived(unit)
        }
    });
    inside.recv_timeout(Duration::from_secs(30)).unwrap();
    (go, first)
}

#[test]
fn units_queued_behind_each_other_share_one_commit_and_fail_on_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let before = store.sync_stats();
    let (go, first) = holding_the_turn(&store, 1);

    let failing = {
        let store = store.clone();
        std::thread::spawn(move || {
            store.write(|c| {
                insert(c, 100)?;
                Err::<(), _>(StoreError::Conflict("refused after writing".into()))
            })
        })
    };
    let panicking = {
        let store = store.clone();
        std::thread::spawn(move || {
            store.write(|c| -> Result<(), StoreError> {
                insert(c, 200)?;
                panic!("a bug inside a write unit");
            })
        })
    };
    let (second, third) = (spawn_insert(&store, 2), spawn_insert(&store, 3));
    until_queued(&store, 4);
    go.send(()).unwrap();

    first.join().unwrap().unwrap();
    second.join().unwrap().unwrap();
    third.join().unwrap().unwrap();
    let refused = failing.join().unwrap().unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused}");
    assert!(
        panicking.join().is_err(),
        "the panic reaches its own caller"
    );

    // The failed and the panicking unit left nothing; the others are all there.
    assert_eq!(rows(&store), [1, 2, 3]);
    let after = store.sync_stats();
    assert_eq!(after.commits, before.commits + 3, "{after:?}");
    assert_eq!(
        after.transactions,
        before.transactions + 1,
        "the queued units rode along in the first one's transaction: {after:?}"
    );
    assert_eq!(
        after.durable, after.commits,
        "every acknowledged unit is durable"
    );
    // The turn is free and the next write starts a transaction of its own.
    store.write(|c| insert(c, 4)).unwrap();
    assert_eq!(store.sync_stats().transactions, after.transactions + 1);
}

#[test]
fn a_queued_unit_run_by_the_leader_still_may_not_write_inside_itself() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let (go, first) = holding_the_turn(&store, 1);
    let nesting = {
        let store = store.clone();
        std::thread::spawn(move || {
            let inner = store.clone();
            store.write(move |c| {
                insert(c, 2)?;
                Ok::<_, StoreError>(inner.write(|c| insert(c, 3)))
            })
        })
    };
    until_queued(&store, 1);
    go.send(()).unwrap();
    first.join().unwrap().unwrap();
    let inner = join_within(nesting).unwrap();
    assert!(matches!(inner, Err(StoreError::NestedWrite)), "{inner:?}");
    assert_eq!(rows(&store), [1, 2]);
}

#[test]
fn a_failed_commit_fails_every_unit_of_its_batch_and_keeps_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .sql(|c| {
            c.execute_batch(
                "CREATE TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE child (parent INTEGER REFERENCES parent(id));",
            )?;
            Ok(())
        })
        .unwrap();
    let before = store.sync_stats();
    let (go, first) = holding_the_turn(&store, 1);
    // This unit's foreign-key check is deferred to COMMIT, where it fails: the only way a
    // unit can make the shared COMMIT fail (latchkey's own schema defers nothing).
    let breaking = {
        let store = store.clone();
        std::thread::spawn(move || {
            store.write(|c| {
                let c = c.conn().sqlite().unwrap();
                c.execute_batch("PRAGMA defer_foreign_keys = ON; INSERT INTO child VALUES (42);")?;
                Ok::<_, StoreError>(())
            })
        })
    };
    until_queued(&store, 1);
    go.send(()).unwrap();

    let e = first.join().unwrap().unwrap_err();
    assert!(e.to_string().contains("not committed"), "{e}");
    assert!(
        e.is_transient(),
        "answered 503 with Retry-After, not 500: {e}"
    );
    assert!(breaking.join().unwrap().is_err());
    assert!(rows(&store).is_empty(), "nothing of the batch was kept");
    assert_eq!(
        store.sync_stats(),
        before,
        "nothing numbered or acknowledged"
    );
    // The connection went back without a transaction left open: writes go on.
    store.write(|c| insert(c, 5)).unwrap();
    assert_eq!(rows(&store), [5]);
}

#[test]
fn a_batch_holds_at_most_max_units() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let before = store.sync_stats();
    let (go, first) = holding_the_turn(&store, 0);
    let n = super::write::MAX_UNITS as i64 + 8;
    let rest: Vec<_> = (1..n).map(|i| spawn_insert(&store, i)).collect();
    until_queued(&store, rest.len());
    go.send(()).unwrap();
    first.join().unwrap().unwrap();
    for t in rest {
        t.join().unwrap().unwrap();
    }
    let after = store.sync_stats();
    assert_eq!(after.commits, before.commits + n as u64);
    assert_eq!(after.transactions, before.transactions + 2, "{after:?}");
    assert_eq!(rows(&store).len(), n as usize);
}

#[test]
fn an_fsync_failing_while_a_batch_is_open_rolls_the_batch_back_unacknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // An earlier write's fsync is held back, then fails, while the next batch is open.
    let (entered_tx, entered) = mpsc::channel::<()>();
    let (fail, gate) = mpsc::channel::<()>();
    let gate = std::sync::Mutex::new(gate);
    *store.committer().before_sync.lock().unwrap() = Some(Box::new(move || {
        entered_tx.send(()).ok();
        gate.lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(30))
            .ok();
        Err(std::io::Error::other("injected EIO"))
    }));
    let earlier = spawn_insert(&store, 1);
    entered.recv_timeout(Duration::from_secs(30)).unwrap();

    let (go, first) = holding_the_turn(&store, 2);
    let queued = spawn_insert(&store, 3);
    until_queued(&store, 1);
    fail.send(()).unwrap();
    assert!(matches!(
        earlier.join().unwrap(),
        Err(StoreError::NotDurable(_))
    ));
    go.send(()).unwrap();

    let e = first.join().unwrap().unwrap_err();
    assert!(e.to_string().contains("injected EIO"), "{e}");
    let e = queued.join().unwrap().unwrap_err();
    assert!(matches!(e, StoreError::NotDurable(_)), "{e}");
    // The open batch was rolled back: only the earlier, committed (never acknowledged) row.
    assert_eq!(rows(&store), [1]);
}

/// Hold every group fsync back until the returned sender is dropped; each one that starts is
/// told on the returned receiver.
fn hold_fsyncs(store: &Store) -> (mpsc::Sender<()>, mpsc::Receiver<()>) {
    let (entered_tx, entered) = mpsc::channel::<()>();
    let (release, gate) = mpsc::channel::<()>();
    let gate = std::sync::Mutex::new(gate);
    *store.committer().before_sync.lock().unwrap() = Some(Box::new(move || {
        entered_tx.send(()).ok();
        // Err once `release` is dropped: every later fsync goes straight through.
        let _ = gate.lock().unwrap().recv_timeout(Duration::from_secs(30));
        Ok(())
    }));
    (release, entered)
}

/// `h`'s result, failing the test when it takes longer than 30 s (a unit never woken).
fn join_within<T>(h: JoinHandle<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !h.is_finished() {
        assert!(Instant::now() < deadline, "a unit was never woken");
        std::thread::sleep(Duration::from_millis(5));
    }
    h.join().unwrap()
}

#[test]
fn the_leader_waits_for_the_fsync_for_the_units_that_need_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let before = store.sync_stats();
    let (release, entered) = hold_fsyncs(&store);
    // A durable leader, then a short-lived unit and two durable ones queued behind it.
    let (go, first) = holding_the_turn(&store, 1);
    let short = {
        let store = store.clone();
        std::thread::spawn(move || store.write_short_lived(|c| insert(c, 2)))
    };
    until_queued(&store, 1);
    let durable: Vec<_> = (3..=4).map(|n| spawn_insert(&store, n)).collect();
    until_queued(&store, 3);
    go.send(()).unwrap();

    // The batch is committed and its fsync is running (held): the short-lived unit is
    // acknowledged, the durable ones are not.
    entered.recv_timeout(Duration::from_secs(30)).unwrap();
    join_within(short).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !first.is_finished() && durable.iter().all(|h| !h.is_finished()),
        "a durable unit returned before the fsync that covers it"
    );
    drop(release);
    join_within(first).unwrap();
    for h in durable {
        join_within(h).unwrap();
    }
    let after = store.sync_stats();
    assert_eq!(after.transactions, before.transactions + 1, "{after:?}");
    assert_eq!(after.durable, after.commits, "{after:?}");
    assert_eq!(
        after.wal_syncs,
        before.wal_syncs + 1,
        "one fsync for the whole batch: {after:?}"
    );
    assert_eq!(
        store.committer().rode_along.load(Ordering::SeqCst),
        0,
        "the queued units slept once, on their slots, not again on the fsync"
    );
    assert_eq!(rows(&store), [1, 2, 3, 4]);
}

#[test]
fn a_durable_unit_behind_a_short_lived_leader_waits_for_its_own_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let (release, entered) = hold_fsyncs(&store);
    // A short-lived leader, then a durable unit: the leader commits the batch and returns
    // without an fsync, so the durable one must get its own.
    let (go, first) = holding_the_turn_as(&store, 1, false);
    let durable = spawn_insert(&store, 2);
    until_queued(&store, 1);
    go.send(()).unwrap();

    join_within(first).unwrap();
    entered.recv_timeout(Duration::from_secs(30)).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !durable.is_finished(),
        "the durable unit returned before its fsync"
    );
    drop(release);
    join_within(durable).unwrap();
    let after = store.sync_stats();
    assert_eq!(after.durable, after.commits, "{after:?}");
    assert_eq!(rows(&store), [1, 2]);
}

/// Whether this connection carries the mark: a temp table lives on the connection that
/// created it only.
fn marked(c: &crate::store::Tx<'_>) -> Result<bool, StoreError> {
    let n: i64 = c.conn().query_row(
        "SELECT count(*) FROM temp.sqlite_master WHERE name = 'writer_mark'",
        [],
        |r| r.get(0),
    )?;
    Ok(n == 1)
}

/// Whether this connection was marked before, and mark it.
fn seen_and_marked(c: &crate::store::Tx<'_>) -> Result<bool, StoreError> {
    let seen = marked(c)?;
    c.conn()
        .execute_batch("CREATE TEMP TABLE IF NOT EXISTS writer_mark (x)")?;
    Ok(seen)
}

#[test]
fn batches_one_after_another_reuse_the_writer_connection_and_reads_never_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let first = store
        .write(|c| {
            insert(c, 1)?;
            seen_and_marked(c)
        })
        .unwrap();
    assert!(!first, "a fresh connection carries no mark");
    // Reads in between run on the other pooled connections (several at once).
    let reads: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                store.read(|c| {
                    let seen = marked(c)?;
                    std::thread::sleep(Duration::from_millis(20));
                    Ok(seen)
                })
            })
        })
        .collect();
    for r in reads {
        assert!(
            !r.join().unwrap().unwrap(),
            "a read got the writer's connection"
        );
    }
    for n in 2..5 {
        let again = store
            .write(|c| {
                insert(c, n)?;
                seen_and_marked(c)
            })
            .unwrap();
        assert!(again, "batch {n} ran on another connection");
    }
    assert_eq!(rows(&store), vec![1, 2, 3, 4]);
}

#[test]
fn statement_journals_of_unit_savepoints_stay_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let temp_store = |c: &crate::store::Tx<'_>| -> Result<i64, StoreError> {
        c.conn().query_row("PRAGMA temp_store", [], |r| r.get(0))
    };
    // 2 = MEMORY: a savepoint's journal never spills to a file in a temp directory.
    assert_eq!(store.read(temp_store).unwrap(), 2);
    assert_eq!(store.write(temp_store).unwrap(), 2);
}

/// Panics the first time a batch is numbered (inside the leader, outside any unit).
struct PanicsOnce(std::sync::atomic::AtomicBool);

impl crate::store::CommitObserver for PanicsOnce {
    fn synced(&self, _: u64, _: Duration) {}
    fn batched(&self, _: u64) {
        if !self.0.swap(true, Ordering::SeqCst) {
            panic!("a bug in the leader");
        }
    }
}

#[test]
fn a_leader_that_panics_fails_its_batch_and_hands_the_lead_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let observer = std::sync::Arc::new(PanicsOnce(Default::default()));
    assert!(store.observe_commits(observer));
    // A full batch behind the leader, and three more writers queued behind that.
    let (go, first) = holding_the_turn(&store, 0);
    let n = super::write::MAX_UNITS as i64 + 2;
    let rest: Vec<_> = (1..=n).map(|i| spawn_insert(&store, i)).collect();
    until_queued(&store, rest.len());
    go.send(()).unwrap();

    assert!(
        first.join().is_err(),
        "the panic reaches the leader's caller"
    );
    let (mut failed, mut written) = (0, 0);
    for h in rest {
        match join_within(h) {
            Ok(()) => written += 1,
            Err(e) => {
                assert!(e.to_string().contains("panicked"), "{e}");
                failed += 1;
            }
        }
    }
    assert_eq!(
        failed,
        super::write::MAX_UNITS - 1,
        "the rest of the batch failed"
    );
    assert_eq!(
        written, 3,
        "the writers queued behind the batch got the lead"
    );
    store.write(|c| insert(c, 100)).unwrap();
}

#[test]
fn an_fsync_that_panics_fails_the_writes_waiting_for_it_instead_of_hanging_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    *store.committer().before_sync.lock().unwrap() =
        Some(Box::new(|| panic!("a bug in the fsync")));
    let (go, first) = holding_the_turn(&store, 1);
    let queued = spawn_insert(&store, 2);
    until_queued(&store, 1);
    go.send(()).unwrap();
    for h in [first, queued] {
        let e = join_within(h).unwrap_err();
        assert!(matches!(e, StoreError::NotDurable(_)), "{e}");
    }
    let e = store.write(|c| insert(c, 3)).unwrap_err();
    assert!(
        matches!(e, StoreError::NotDurable(_)),
        "refused, not hung: {e}"
    );
}
