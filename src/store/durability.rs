//! When a write counts as done: group commit of the WAL, one fsync for many requests.
//!
//! Every authorization code, refresh rotation and session is a write that must survive a power
//! cut once the client has seen the answer. SQLite's `synchronous=FULL` fsyncs the WAL inside
//! every COMMIT, so at ~5 ms per fsync the whole server manages ~200 writes/s however many cores
//! it has. Group commit keeps the guarantee and shares the fsync:
//!
//! 1. In-process writers take turns on one mutex (the *writer turn*), so they never meet
//!    `SQLITE_BUSY` and the busy handler's sleeps; another process (the CLI) still waits through
//!    `busy_timeout`. The closure runs in `BEGIN IMMEDIATE` on a `synchronous=NORMAL` connection:
//!    in WAL mode COMMIT then writes the WAL frames with `write()` and returns without an fsync.
//!    The commit gets the next sequence number and the turn passes to the next writer.
//! 2. Outside the turn, the writer waits until the WAL file has been fsynced after its COMMIT.
//!    The first waiter that finds no fsync running becomes the leader: it notes the highest
//!    sequence committed so far, calls `fdatasync` on the `-wal` file, marks everything up to that
//!    sequence durable and wakes the others. Writers that committed while that fsync ran are not
//!    covered (their frames may have missed it); one of them leads the next fsync, for all of
//!    them. Commits go on while an fsync runs, so one fsync serves every request that committed
//!    during the previous one.
//!
//! Why an fsync of the WAL after COMMIT is as good as `synchronous=FULL`: FULL is exactly "fsync
//! the WAL at the end of each commit" (SQLite pads to a sector boundary first only when the file
//! system lacks powersafe overwrite, which the unix VFS assumes by default). Frames reach the
//! file through `write()` before COMMIT returns, and fsync on any descriptor of a file flushes
//! every dirty page of it. The WAL is a log recovered as a valid prefix, so a write that is
//! durable makes every earlier commit durable too: another request may read a row a few
//! milliseconds before it is durable, but anything written because of it comes later in the log.
//!
//! The `-wal` file changes under us in three ways, all safe:
//! - *Restart*: after a full checkpoint the next writer rewrites the WAL from the start (same
//!   file, new salts). SQLite fsyncs the new header itself even with NORMAL, and checkpoints
//!   fsync the WAL before copying it and the database after, so frames that are overwritten are
//!   already durable in the database; later frames are covered by our next fsync.
//! - *Truncation* (`journal_size_limit`, `wal_checkpoint(TRUNCATE)`): same file, smaller.
//! - *Deletion*: when the last connection of the last process closes, SQLite checkpoints (with
//!   fsyncs) and deletes the WAL; a later connection creates a new file. The kept-open descriptor
//!   is compared with the path by device and inode before each fsync and reopened when they
//!   differ. A commit that went into a deleted WAL was checkpointed into the database before the
//!   deletion; one that went into the current WAL is covered by fsyncing the current file, which
//!   existed before the leader looked (the leader notes the sequence first, then looks). When
//!   there is no `-wal` at all, every commit noted went into a deleted WAL and is durable.
//!   (Only the `-wal` file is ever opened here: opening and closing the database file itself
//!   would drop SQLite's POSIX locks on it.)
//!
//! A failed fsync is final, as in PostgreSQL since "fsyncgate": after a failed fsync Linux may
//! drop the dirty pages and report success next time, so a retry proves nothing. Every waiter not
//! yet covered gets an error (its request fails: never acknowledged), every later write is
//! refused, and `/healthz` reports the store unavailable until latchkey is restarted (SQLite then
//! recovers whatever the WAL really holds).
//!
//! Units that queue for the turn while another holds it share its transaction and its COMMIT
//! (see `sqlite::write`): each is numbered as a commit of its own, and the batch's COMMIT counts
//! once in [`SyncStats::transactions`]. The writer leading a batch waits here for all of them
//! (when its own unit needs the fsync) and tells them when it returns, so an fsync wakes one
//! thread per batch, not one per unit.

use super::{Result, StoreError};
use std::fs::File;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// The `durability` setting: when `Store::write` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Group commit: `write` returns after an fsync of the WAL that covers its commit; many
    /// concurrent writes share one fsync. Nothing acknowledged is lost on a power cut.
    #[default]
    Group,
    /// `synchronous=FULL`: SQLite fsyncs the WAL inside every COMMIT, one fsync per write.
    /// The same guarantee as `Group`, at roughly one write per fsync.
    Each,
    /// `synchronous=NORMAL` without waiting: fastest, survives a crash of latchkey, but a power
    /// cut or kernel panic may lose the writes of the last moments (never corrupts the file).
    Relaxed,
}

impl Durability {
    pub const VALUES: &'static str = "`group`, `each` or `relaxed`";

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "group" => Some(Self::Group),
            "each" => Some(Self::Each),
            "relaxed" => Some(Self::Relaxed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Each => "each",
            Self::Relaxed => "relaxed",
        }
    }

    /// The `PRAGMA synchronous` of pooled connections.
    pub(super) fn synchronous(self) -> &'static str {
        match self {
            Self::Each => "FULL",
            Self::Group | Self::Relaxed => "NORMAL",
        }
    }
}

impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counters of one `Store` (shared by its clones), for tests and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncStats {
    /// Write units committed by this store (rolled back ones and those that changed nothing
    /// are not counted). They are numbered 1, 2, ... in the order they committed; the units of
    /// one batch (see `sqlite::write`) commit together.
    pub commits: u64,
    /// COMMITs that carried those units: one per batch.
    pub transactions: u64,
    /// Every commit numbered up to this one is durable (`group` and `each`; 0 for `relaxed`).
    pub durable: u64,
    /// fsyncs of the WAL that acknowledged writes: shared ones for `group`, one per commit (by
    /// SQLite, inside COMMIT) for `each`, none for `relaxed`. SQLite's checkpoint fsyncs are
    /// not counted.
    pub wal_syncs: u64,
}

/// Told about every fsync that acknowledged writes (metrics read it): how many commits it made
/// durable and how long it took. Called outside the store's locks; it must be quick.
pub trait CommitObserver: Send + Sync {
    fn synced(&self, commits: u64, took: Duration);
    /// One COMMIT carried `units` write units (a batch, see `sqlite::write`). Called inside the
    /// writer turn: it must be quicker still.
    fn batched(&self, units: u64);
}

/// Lock a mutex, ignoring poisoning: the data behind these locks is always left consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

struct SyncState {
    /// Every commit up to this sequence number is durable.
    durable: u64,
    /// A leader is fsyncing right now.
    syncing: bool,
    wal_syncs: u64,
    /// Set forever by a failed fsync.
    failure: Option<String>,
}

/// See `Committer::before_sync`.
#[cfg(test)]
pub(super) type SyncHook = Box<dyn Fn() -> io::Result<()> + Send + Sync>;

/// Orders the writes of one store and tells each when it is durable.
pub(super) struct Committer {
    mode: Durability,
    /// The writer turn: held from `BEGIN IMMEDIATE` to the end of `COMMIT`.
    turn: Mutex<()>,
    /// The thread holding the turn, to refuse a nested `write` instead of deadlocking.
    turn_holder: Mutex<Option<ThreadId>>,
    /// Sequence number of the last commit (the number of commits).
    committed: AtomicU64,
    /// COMMITs that numbered at least one unit.
    transactions: AtomicU64,
    sync: Mutex<SyncState>,
    synced: Condvar,
    /// Only the leader locks it (so never contended); kept open between fsyncs.
    wal: Mutex<WalFile>,
    observer: OnceLock<Arc<dyn CommitObserver>>,
    /// Runs before each group fsync: lets unit tests hold an fsync back or make it fail.
    #[cfg(test)]
    pub(super) before_sync: Mutex<Option<SyncHook>>,
    /// Waits for an fsync another thread led (tests count the threads each fsync wakes).
    #[cfg(test)]
    pub(super) rode_along: AtomicU64,
}

/// Holding it means holding the writer turn. Dropped without [`WriterTurn::committed`] when the
/// transaction rolled back or failed: no sequence number, nothing to wait for.
pub(super) struct WriterTurn<'a> {
    committer: &'a Committer,
    _turn: MutexGuard<'a, ()>,
}

impl Drop for WriterTurn<'_> {
    fn drop(&mut self) {
        // Runs before `_turn` is released.
        *lock(&self.committer.turn_holder) = None;
    }
}

impl WriterTurn<'_> {
    /// The transaction committed `units` write units (its COMMIT took `took`): number them
    /// (still inside the turn, so numbers follow the order of commits), give the turn back and
    /// return the number of the last.
    pub(super) fn committed(self, took: Duration, units: u64) -> u64 {
        let c = self.committer;
        let seq = c.committed.fetch_add(units, Ordering::SeqCst) + units;
        if units == 0 {
            return seq; // only read: nothing to number or wait for
        }
        c.transactions.fetch_add(1, Ordering::SeqCst);
        if let Some(o) = c.observer.get() {
            o.batched(units);
        }
        if c.mode == Durability::Each {
            // SQLite fsynced the WAL inside COMMIT.
            {
                let mut st = lock(&c.sync);
                st.durable = seq;
                st.wal_syncs += 1;
            }
            c.observe(units, took);
        }
        seq
    }
}

impl Committer {
    pub(super) fn new(mode: Durability, wal_path: PathBuf) -> Self {
        Committer {
            mode,
            turn: Mutex::new(()),
            turn_holder: Mutex::new(None),
            committed: AtomicU64::new(0),
            transactions: AtomicU64::new(0),
            sync: Mutex::new(SyncState {
                durable: 0,
                syncing: false,
                wal_syncs: 0,
                failure: None,
            }),
            synced: Condvar::new(),
            wal: Mutex::new(WalFile::new(wal_path)),
            observer: OnceLock::new(),
            #[cfg(test)]
            before_sync: Mutex::new(None),
            #[cfg(test)]
            rode_along: AtomicU64::new(0),
        }
    }

    pub(super) fn mode(&self) -> Durability {
        self.mode
    }

    /// Set once; a second observer is refused (false).
    pub(super) fn set_observer(&self, observer: Arc<dyn CommitObserver>) -> bool {
        self.observer.set(observer).is_ok()
    }

    fn observe(&self, commits: u64, took: Duration) {
        if let Some(o) = self.observer.get() {
            o.synced(commits, took);
        }
    }

    /// Whether this thread may queue for the writer turn: not after a failed fsync, and not on
    /// a thread that already holds the turn (a `write` inside a `write` would wait for itself
    /// forever).
    pub(super) fn may_begin(&self) -> Result<()> {
        if *lock(&self.turn_holder) == Some(std::thread::current().id()) {
            return Err(StoreError::NestedWrite);
        }
        self.check_healthy()
    }

    /// Wait for the writer turn (after [`Committer::may_begin`]).
    pub(super) fn take_turn(&self) -> WriterTurn<'_> {
        let turn = lock(&self.turn);
        *lock(&self.turn_holder) = Some(std::thread::current().id());
        WriterTurn {
            committer: self,
            _turn: turn,
        }
    }

    /// Err once an fsync has failed.
    pub(super) fn check_healthy(&self) -> Result<()> {
        match &lock(&self.sync).failure {
            Some(why) => Err(StoreError::NotDurable(why.clone())),
            None => Ok(()),
        }
    }

    pub(super) fn stats(&self) -> SyncStats {
        let st = lock(&self.sync);
        SyncStats {
            commits: self.committed.load(Ordering::SeqCst),
            transactions: self.transactions.load(Ordering::SeqCst),
            durable: st.durable,
            wal_syncs: st.wal_syncs,
        }
    }

    /// Return once commit `seq` is durable (at once for `each` and `relaxed`), or with an error
    /// when the fsync that should have covered it failed.
    pub(super) fn wait_durable(&self, seq: u64) -> Result<()> {
        if self.mode != Durability::Group {
            return Ok(());
        }
        let mut st = lock(&self.sync);
        loop {
            if st.durable >= seq {
                return Ok(());
            }
            if let Some(why) = &st.failure {
                return Err(StoreError::NotDurable(why.clone()));
            }
            if st.syncing {
                // Ride along: when this fsync ends, either it covered us or we lead the next.
                #[cfg(test)]
                self.rode_along.fetch_add(1, Ordering::SeqCst);
                st = self.synced.wait(st).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // Lead. Note the target before the fsync: every commit up to it has written its
            // frames already, so the fsync covers them.
            st.syncing = true;
            let target = self.committed.load(Ordering::SeqCst);
            drop(st);
            let started = Instant::now();
            // A panic here would leave `syncing` set and every later writer waiting for ever:
            // count it as a failed fsync instead.
            let res = catch_unwind(AssertUnwindSafe(|| self.sync_wal()))
                .unwrap_or_else(|_| Err(io::Error::other("the fsync panicked")));
            let took = started.elapsed();
            st = lock(&self.sync);
            st.syncing = false;
            match res {
                Ok(()) => {
                    let covered = target.saturating_sub(st.durable);
                    st.durable = st.durable.max(target);
                    st.wal_syncs += 1;
                    self.synced.notify_all();
                    drop(st);
                    // The leader's own commit is at most `target`: it is durable now.
                    self.observe(covered, took);
                    return Ok(());
                }
                Err(e) => {
                    let path = lock(&self.wal).path.display().to_string();
                    tracing::error!(error = %e, wal = %path, "fsync of the WAL failed; refusing further writes until restarted");
                    st.failure = Some(format!("fsync of {path} failed: {e}"));
                }
            }
            self.synced.notify_all();
        }
    }

    fn sync_wal(&self) -> io::Result<()> {
        #[cfg(test)]
        if let Some(hook) = &*lock(&self.before_sync) {
            hook()?;
        }
        lock(&self.wal).sync().map(|_| ())
    }
}

/// How [`WalFile::sync`] found the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Synced {
    /// The descriptor kept from last time still names the `-wal` file.
    Same,
    /// The file was (re)created since: opened anew.
    Reopened,
    /// No `-wal` file: SQLite checkpointed and deleted it, so nothing to sync.
    Absent,
}

/// The `-wal` file of the database, opened read-only (fsync works on any descriptor).
pub(super) struct WalFile {
    path: PathBuf,
    open: Option<File>,
}

impl WalFile {
    pub(super) fn new(path: PathBuf) -> Self {
        WalFile { path, open: None }
    }

    /// fdatasync the file now at `path` (see the module comment for why each case is right).
    pub(super) fn sync(&mut self) -> io::Result<Synced> {
        let current = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.open = None;
                return Ok(Synced::Absent);
            }
            Err(e) => return Err(e),
        };
        let how = match &self.open {
            Some(f) if same_file(f, &current)? => Synced::Same,
            _ => match File::open(&self.path) {
                Ok(f) => {
                    // If the file was replaced between the stat and the open, this is a newer
                    // one still; the commits noted before went to files that no longer exist.
                    self.open = Some(f);
                    Synced::Reopened
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    self.open = None;
                    return Ok(Synced::Absent);
                }
                Err(e) => return Err(e),
            },
        };
        if let Some(f) = &self.open {
            f.sync_data()?;
        }
        Ok(how)
    }
}

#[cfg(unix)]
fn same_file(f: &File, path_meta: &std::fs::Metadata) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let m = f.metadata()?;
    Ok(m.dev() == path_meta.dev() && m.ino() == path_meta.ino())
}

/// Without inode numbers, never trust the kept descriptor: reopen for every fsync.
#[cfg(not(unix))]
fn same_file(_f: &File, _path_meta: &std::fs::Metadata) -> io::Result<bool> {
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    fn insert(store: &Store, n: i64) -> Result<()> {
        store.write(|c| {
            c.conn().execute(
                "INSERT INTO audit_events (at, kind) VALUES (?1, 'durability-test')",
                [n],
            )?;
            Ok(())
        })
    }

    fn count(store: &Store) -> i64 {
        store
            .read(|c| {
                c.conn().query_row(
                    "SELECT COUNT(*) FROM audit_events WHERE kind = 'durability-test'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap()
    }

    fn open(dir: &Path) -> Store {
        let store = Store::open_with(&dir.join("latchkey.db"), Durability::Group).unwrap();
        assert_eq!(store.durability(), Durability::Group, "no silent fallback");
        store
    }

    #[test]
    fn settings_values_parse_and_print_back() {
        for d in [Durability::Group, Durability::Each, Durability::Relaxed] {
            assert_eq!(Durability::parse(d.as_str()), Some(d));
        }
        assert_eq!(Durability::default(), Durability::Group);
        assert_eq!(Durability::parse("FULL"), None);
        assert_eq!(Durability::parse(""), None);
    }

    #[test]
    fn a_short_lived_write_returns_unsynced_and_the_next_durable_write_covers_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let before = store.sync_stats();
        store
            .write_short_lived(|c| {
                c.conn().execute(
                    "INSERT INTO audit_events (at, kind) VALUES (1, 'durability-test')",
                    [],
                )?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let after = store.sync_stats();
        assert_eq!(after.commits, before.commits + 1);
        assert_eq!(after.durable, before.durable, "nothing waited for an fsync");
        insert(&store, 2).unwrap();
        let last = store.sync_stats();
        assert_eq!(
            last.durable, last.commits,
            "the durable write's fsync covers both"
        );
        assert_eq!(count(&store), 2);
    }

    #[test]
    fn a_short_lived_unit_that_writes_an_audit_row_waits_for_its_fsync() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store
            .write_short_lived(|c| {
                crate::store::audit::insert_audit_event(
                    c,
                    &crate::store::audit::AuditEvent {
                        at: 1,
                        kind: "durability-test".into(),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        let st = store.sync_stats();
        assert_eq!(
            st.durable, st.commits,
            "an audit row is durable when acknowledged"
        );
    }

    #[test]
    fn a_group_write_does_not_return_before_the_fsync_that_covers_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let (release, gate) = mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        *lock(&store.committer().before_sync) = Some(Box::new(move || {
            gate.lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(30))
                .ok();
            Ok(())
        }));
        let before = store.sync_stats();

        let writer = {
            let store = store.clone();
            std::thread::spawn(move || insert(&store, 1))
        };
        // The commit happens (other connections see the row) while its fsync is held back.
        while count(&store) == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100));
        assert!(!writer.is_finished(), "write returned before its fsync ran");
        assert_eq!(store.sync_stats().durable, before.durable);

        release.send(()).unwrap();
        writer.join().unwrap().unwrap();
        let after = store.sync_stats();
        assert_eq!(after.commits, before.commits + 1);
        assert!(after.durable >= after.commits, "{after:?}");
        assert_eq!(after.wal_syncs, before.wal_syncs + 1);
    }

    /// Every (commits, took) an observer was told, in order.
    #[derive(Default)]
    struct Seen(Mutex<Vec<(u64, Duration)>>);
    impl CommitObserver for Seen {
        fn synced(&self, commits: u64, took: Duration) {
            lock(&self.0).push((commits, took));
        }
        fn batched(&self, _units: u64) {}
    }

    #[test]
    fn writes_committed_during_an_fsync_share_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let seen = Arc::new(Seen::default());
        assert!(store.observe_commits(seen.clone()));
        assert!(
            !store.observe_commits(Arc::new(Seen::default())),
            "set once"
        );
        let (entered_tx, entered) = mpsc::channel::<()>();
        let (release, gate) = mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        *lock(&store.committer().before_sync) = Some(Box::new(move || {
            entered_tx.send(()).ok();
            gate.lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(30))
                .ok();
            Ok(())
        }));
        let wait_entered = || entered.recv_timeout(Duration::from_secs(30)).unwrap();
        let before = store.sync_stats();

        // The first writer leads an fsync that is held back; ten more commit meanwhile.
        let first = {
            let store = store.clone();
            std::thread::spawn(move || insert(&store, 0))
        };
        wait_entered();
        let rest: Vec<_> = (1..=10)
            .map(|n| {
                let store = store.clone();
                std::thread::spawn(move || insert(&store, n))
            })
            .collect();
        while store.sync_stats().commits < before.commits + 11 {
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(!first.is_finished() && rest.iter().all(|t| !t.is_finished()));

        release.send(()).unwrap();
        first.join().unwrap().unwrap();
        // The first fsync started before the others committed, so it cannot answer for them.
        assert_eq!(store.sync_stats().durable, before.commits + 1);
        assert!(rest.iter().all(|t| !t.is_finished()));
        // One of them leads a second fsync, for all ten.
        wait_entered();
        release.send(()).unwrap();
        for t in rest {
            t.join().unwrap().unwrap();
        }
        let after = store.sync_stats();
        assert_eq!(after.commits, before.commits + 11);
        assert_eq!(after.wal_syncs, before.wal_syncs + 2, "{after:?}");
        assert_eq!(after.durable, after.commits);
        // The observer saw both fsyncs: the first covered one commit, the second ten.
        let seen = lock(&seen.0).clone();
        let batches: Vec<u64> = seen.iter().map(|(n, _)| *n).collect();
        assert_eq!(batches, [1, 10]);
    }

    #[test]
    fn with_durability_each_every_commit_is_reported_as_its_own_fsync() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("latchkey.db"), Durability::Each).unwrap();
        let seen = Arc::new(Seen::default());
        store.observe_commits(seen.clone());
        for n in 0..3 {
            insert(&store, n).unwrap();
        }
        let batches: Vec<u64> = lock(&seen.0).iter().map(|(n, _)| *n).collect();
        assert_eq!(batches, [1, 1, 1]);
    }

    #[test]
    fn a_failed_fsync_fails_every_uncovered_write_and_refuses_later_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        insert(&store, 0).unwrap();
        assert!(store.ping());
        *lock(&store.committer().before_sync) =
            Some(Box::new(|| Err(io::Error::other("injected EIO"))));

        let writers: Vec<_> = (1..=8)
            .map(|n| {
                let store = store.clone();
                std::thread::spawn(move || insert(&store, n))
            })
            .collect();
        for w in writers {
            let e = w.join().unwrap().unwrap_err();
            assert!(matches!(e, StoreError::NotDurable(_)), "{e}");
            assert!(e.to_string().contains("injected EIO"), "{e}");
        }

        let mut ran = false;
        let later = store.write(|_| {
            ran = true;
            Ok::<_, StoreError>(())
        });
        assert!(matches!(later, Err(StoreError::NotDurable(_))));
        assert!(!ran, "a write after a failed fsync must not even start");
        assert!(!store.ping(), "health checks report the store unavailable");
        // Reads still work (doctor, diagnostics).
        assert!(count(&store) >= 1);
    }

    #[test]
    fn a_write_that_changes_nothing_is_neither_numbered_nor_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        insert(&store, 1).unwrap();
        let before = store.sync_stats();
        let n: i64 = store
            .write(|c| {
                c.conn().query_row(
                    "SELECT COUNT(*) FROM audit_events WHERE kind = 'durability-test'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(store.sync_stats(), before, "no commit counted, no fsync");
        insert(&store, 2).unwrap();
        assert_eq!(store.sync_stats().commits, before.commits + 1);
    }

    #[test]
    fn a_write_inside_a_write_is_an_error_not_a_deadlock() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let res: Result<()> = store.write(|_| {
            let inner = insert(&store, 1);
            assert!(matches!(inner, Err(StoreError::NestedWrite)), "{inner:?}");
            Ok(())
        });
        res.unwrap();
        // The turn is free again.
        insert(&store, 2).unwrap();
        assert_eq!(count(&store), 1);
    }

    #[test]
    fn the_wal_is_reopened_when_sqlite_deletes_and_recreates_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db-wal");
        let mut wal = WalFile::new(path.clone());
        assert_eq!(wal.sync().unwrap(), Synced::Absent);
        std::fs::write(&path, b"one").unwrap();
        assert_eq!(wal.sync().unwrap(), Synced::Reopened);
        assert_eq!(wal.sync().unwrap(), Synced::Same);
        // Truncated and rewritten in place (a WAL restart): the same file.
        std::fs::write(&path, b"two").unwrap();
        assert_eq!(wal.sync().unwrap(), Synced::Same);
        // Deleted and created again while the old descriptor is still open.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"three").unwrap();
        assert_eq!(wal.sync().unwrap(), Synced::Reopened);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(wal.sync().unwrap(), Synced::Absent);
    }

    #[test]
    fn group_commit_survives_wal_truncation_and_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        for round in 0..3 {
            let threads: Vec<_> = (0..8)
                .map(|n| {
                    let store = store.clone();
                    std::thread::spawn(move || insert(&store, round * 100 + n))
                })
                .collect();
            for t in threads {
                t.join().unwrap().unwrap();
            }
            // Checkpoint everything and cut the WAL to zero bytes: the next write restarts it.
            store
                .read(|c| {
                    c.conn()
                        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
                    Ok(())
                })
                .unwrap();
        }
        let stats = store.sync_stats();
        assert_eq!(stats.durable, stats.commits);
        drop(store);
        assert_eq!(count(&open(dir.path())), 24);
    }

    #[cfg(unix)]
    #[test]
    fn a_database_behind_a_symlink_syncs_the_wal_sqlite_really_writes() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(real.join("target.db"), &link).unwrap();
        let store = Store::open_with(&link, Durability::Group).unwrap();
        assert_eq!(store.durability(), Durability::Group);
        let wal = lock(&store.committer().wal).path.clone();
        assert_eq!(
            wal.file_name().unwrap(),
            "target.db-wal",
            "{}",
            wal.display()
        );
        insert(&store, 1).unwrap();
        let s = store.sync_stats();
        assert_eq!((s.durable, s.wal_syncs), (s.commits, 1));
        assert!(real.join("target.db-wal").is_file());
    }

    #[test]
    fn a_store_shared_by_clones_counts_in_one_place() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let clone = store.clone();
        let before = store.sync_stats();
        insert(&clone, 1).unwrap();
        assert_eq!(store.sync_stats().commits, before.commits + 1);
        assert!(Arc::ptr_eq(store.committer(), clone.committer()));
    }
}
