//! SQLite write units, committed in batches.
//!
//! Units run one at a time in this process's writer turn, each on its caller's thread. A unit
//! that finds other writers queued for the turn leaves its transaction open for them: they run
//! in the same `BEGIN IMMEDIATE` transaction, each inside its own savepoint, and the last one
//! (no writer queued behind it, or [`MAX_UNITS`] reached) commits for all of them (not with
//! `durability = "each"`, which promises SQLite's own fsync in every unit's COMMIT). Every unit
//! waits for that COMMIT before it returns, so nothing is acknowledged before it is committed.
//!
//! Why: a refresh's statements take ~25 µs, but its COMMIT (~10 WAL frames) and SQLite's
//! checkpoint of those frames took ~100 µs more, all inside the turn. Units of one batch that
//! append to the same pages (new tokens, audit rows, their indexes) write each page once per
//! batch, so under load the turn is held for little more than the statements.
//!
//! What stays as it was: units still run strictly one after another, so a rule a unit checks
//! still holds when it commits; a unit that returns Err (or panics) is rolled back to its
//! savepoint and the rest of the batch is unaffected. Only a failed COMMIT (disk full, I/O
//! error) fails every unit of the batch, and none of them is acknowledged.
//!
//! The batch rides along in the writer turn rather than in a writer thread because the units'
//! closures borrow their callers' locals and must run on their callers' threads.
//!
//! The last unit also waits for the batch's fsync on behalf of the units before it that need
//! one (when it needs one itself; a short-lived last unit returns at once and they each wait
//! as a lone writer does). They sleep once, until told the batch is durable, instead of once
//! for the COMMIT and again for the fsync, and each fsync wakes only the threads it covers.
//!
//! Every batch runs on one connection, kept between batches (`Batches::idle`): no other
//! connection of this process commits, so its page cache stays warm (a refresh's unit read
//! ~4 pages back from the file each time it started on a pooled connection whose cache
//! another commit had invalidated).

use crate::store::durability::{Committer, Durability};
use crate::store::{Pool, StoreError, Tx};
use r2d2::PooledConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// The most units one transaction holds: bounds how long the first of them waits.
pub const MAX_UNITS: usize = 32;

/// The batch being filled, and how many writers are queued for the turn.
#[derive(Default)]
pub struct Batches {
    /// Writers between asking for the turn and getting it.
    pub(super) queued: AtomicUsize,
    /// The open transaction; only the holder of the writer turn touches it.
    open: Mutex<Option<Open>>,
    /// The connection of the last batch, kept for the next one. Every write of this process
    /// goes through it, so its page cache stays valid between batches; a pooled connection's
    /// is dropped whenever another connection has committed, and each batch read its pages
    /// back from the file.
    idle: Mutex<Option<Conn>>,
}

type Conn = PooledConnection<SqliteConnectionManager>;

struct Open {
    conn: Conn,
    units: usize,
    /// Units that changed rows: each gets a commit number.
    wrote: u64,
    /// The units before the last, waiting for the batch's outcome.
    waiters: BatchWaiters,
    outcome: Arc<Outcome>,
}

impl Open {
    /// A new batch: the kept connection (or a pooled one) in `BEGIN IMMEDIATE`.
    fn begin(pool: &Pool, batches: &Batches) -> Result<Open, StoreError> {
        let kept = lock(&batches.idle).take();
        let conn = match kept {
            Some(conn) => conn,
            None => pool.get()?,
        };
        // On failure the connection goes back to the pool, not to `idle`.
        run(&conn, "BEGIN IMMEDIATE")?;
        Ok(Open {
            conn,
            units: 0,
            wrote: 0,
            waiters: BatchWaiters::default(),
            outcome: Arc::default(),
        })
    }
}

/// How a batch ended, told to the units before its last, which wait for it outside the turn.
#[derive(Default)]
struct Outcome {
    told: Mutex<Told>,
    /// Units that need only the COMMIT wait here.
    committed: Condvar,
    /// Units that need it durable wait here: woken once, when the last unit, which waits for
    /// the same fsync anyway, has it (one sleep for them instead of two, and fewer threads
    /// woken and put back to sleep by each fsync).
    durable: Condvar,
}

#[derive(Default)]
struct Told {
    /// `Ok(n)` with the commit number of the batch's last unit (0 when no unit wrote), or why
    /// it was not committed.
    committed: Option<Result<u64, Failed>>,
    /// The last unit waits for the fsync and tells the result here (otherwise each unit that
    /// needs it waits by itself).
    driven: bool,
    /// The fsync's result, once `driven`.
    durable: Option<Result<(), Failed>>,
}

impl Outcome {
    /// The COMMIT ended; `driven`: the last unit now waits for the fsync and tells its result.
    fn committed(&self, res: Result<u64, Failed>, driven: bool, batch: &BatchWaiters) {
        let mut told = lock(&self.told);
        told.driven = driven && res.is_ok();
        let wake_durable = !told.driven && batch.durable > 0;
        told.committed = Some(res);
        drop(told);
        if batch.committed > 0 {
            self.committed.notify_all();
        }
        if wake_durable {
            self.durable.notify_all();
        }
    }

    fn durable(&self, res: Result<(), Failed>, batch: &BatchWaiters) {
        lock(&self.told).durable = Some(res);
        if batch.durable > 0 {
            self.durable.notify_all();
        }
    }

    /// Wait for the COMMIT, and with `durable` for the fsync when the last unit waits for it:
    /// the commit number, and the fsync's result if it was told.
    fn wait(&self, durable: bool) -> (Result<u64, Failed>, Option<Result<(), Failed>>) {
        let cv = if durable {
            &self.durable
        } else {
            &self.committed
        };
        let mut told = lock(&self.told);
        loop {
            if let Some(res) = &told.committed {
                if !durable || res.is_err() || !told.driven {
                    return (res.clone(), None);
                }
                if let Some(synced) = &told.durable {
                    return (res.clone(), Some(synced.clone()));
                }
            }
            told = cv.wait(told).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Why a batch was not committed, or not made durable.
#[derive(Clone)]
enum Failed {
    /// Its COMMIT (or its last unit's savepoint) failed.
    Commit(String),
    /// An fsync failed (while it was open: it was rolled back); the store refuses writes.
    Refused(String),
}

impl From<&StoreError> for Failed {
    /// The committer's errors: `NotDurable` once an fsync has failed.
    fn from(e: &StoreError) -> Self {
        match e {
            StoreError::NotDurable(why) => Failed::Refused(why.clone()),
            e => Failed::Commit(e.to_string()),
        }
    }
}

impl From<Failed> for StoreError {
    fn from(f: Failed) -> Self {
        match f {
            Failed::Commit(e) => {
                StoreError::Unavailable(format!("the write transaction was not committed: {e}"))
            }
            Failed::Refused(why) => StoreError::NotDurable(why),
        }
    }
}

/// How many units of a batch wait on each of its condition variables.
#[derive(Default)]
struct BatchWaiters {
    committed: usize,
    durable: usize,
}

/// Whether another writer is queued for the turn. When none is, give the CPU away once
/// first: on a busy machine a writer about to queue often gets to run, and joining costs far
/// less than a COMMIT of its own.
fn more_coming(batches: &Batches) -> bool {
    if batches.queued.load(Ordering::SeqCst) > 0 {
        return true;
    }
    std::thread::yield_now();
    batches.queued.load(Ordering::SeqCst) > 0
}

/// `each` promises SQLite's own fsync inside every unit's COMMIT: one unit per transaction.
fn max_units(committer: &Committer) -> usize {
    match committer.mode() {
        Durability::Each => 1,
        Durability::Group | Durability::Relaxed => MAX_UNITS,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Run `f` as one unit of the current batch (see the module comment); outside the turn, wait
/// until the batch is committed and, when `wait` (or the unit marked itself), durable.
pub fn write<T, E: From<StoreError>>(
    pool: &Pool,
    committer: &Committer,
    batches: &Batches,
    wait: bool,
    f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    committer.may_begin()?;
    batches.queued.fetch_add(1, Ordering::SeqCst);
    let turn = committer.take_turn();
    batches.queued.fetch_sub(1, Ordering::SeqCst);
    let mut open = lock(&batches.open);
    if let Err(e) = committer.check_healthy() {
        // An fsync failed while we queued: end the batch unacknowledged.
        if let Some(o) = open.take() {
            let _ = run(&o.conn, "ROLLBACK");
            o.outcome
                .committed(Err(Failed::from(&e)), false, &o.waiters);
        }
        return Err(e.into());
    }
    // The batch is this unit's until it either hands it back for the next unit or commits it.
    let mut batch = match open.take() {
        Some(batch) => batch,
        None => Open::begin(pool, batches)?,
    };
    let must_sync = std::cell::Cell::new(wait);
    let unit = run_unit(&batch.conn, &must_sync, f);
    let needs_durable = unit.wrote && must_sync.get();
    batch.units += 1;
    batch.wrote += u64::from(unit.wrote);
    let outcome = batch.outcome.clone();
    let last = batch.units >= max_units(committer) || !more_coming(batches);
    let (committed, synced) = match (unit.ended, last) {
        (Ok(()), false) => {
            if needs_durable {
                batch.waiters.durable += 1;
            } else {
                batch.waiters.committed += 1;
            }
            *open = Some(batch);
            drop(open);
            drop(turn);
            outcome.wait(needs_durable)
        }
        (ended, _) => {
            drop(open);
            let waiters = std::mem::take(&mut batch.waiters);
            // This unit waits for the fsync itself: it does so for the units that need it too.
            let drives = needs_durable;
            let res = commit(batch, ended, batches);
            let seq = match res {
                Ok((took, units)) => Ok(turn.committed(took, units)),
                Err(e) => {
                    drop(turn);
                    Err(Failed::Commit(e))
                }
            };
            outcome.committed(seq.clone(), drives, &waiters);
            let synced = match &seq {
                Ok(n) if drives => {
                    // Outside the turn: later writers commit while this one waits.
                    let synced = committer.wait_durable(*n).map_err(|e| Failed::from(&e));
                    outcome.durable(synced.clone(), &waiters);
                    Some(synced)
                }
                _ => None,
            };
            (seq, synced)
        }
    };
    let out = match unit.out {
        Ok(out) => out,
        Err(panic) => resume_unwind(panic),
    };
    let seq = committed.map_err(StoreError::from)?;
    let out = out?;
    if needs_durable {
        match synced {
            Some(res) => res.map_err(StoreError::from)?,
            // Outside the turn: later writers commit while this one waits for its fsync.
            None => committer.wait_durable(seq)?,
        }
    }
    Ok(out)
}

/// What one unit did inside the batch's transaction.
struct Unit<T> {
    /// `f`'s result, or its panic (resumed once the batch is taken care of).
    out: std::thread::Result<T>,
    /// Its savepoint was released (or rolled back) cleanly; otherwise the batch ends here.
    ended: Result<(), String>,
    /// It changed rows and they were kept.
    wrote: bool,
}

/// Run `f` inside a savepoint: released when `f` returns Ok, rolled back otherwise, so a unit
/// that failed leaves no trace in the batch.
fn run_unit<T, E: From<StoreError>>(
    conn: &Connection,
    must_sync: &std::cell::Cell<bool>,
    f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
) -> Unit<std::result::Result<T, E>> {
    if let Err(e) = run(conn, "SAVEPOINT unit") {
        return Unit {
            ended: Err(e.to_string()),
            out: Ok(Err(StoreError::from(e).into())),
            wrote: false,
        };
    }
    let changes_before = conn.total_changes();
    let out = catch_unwind(AssertUnwindSafe(|| {
        f(&Tx::new(conn).with_sync_mark(must_sync))
    }));
    let kept = matches!(out, Ok(Ok(_)));
    let ended = if kept {
        run(conn, "RELEASE unit")
    } else {
        run(conn, "ROLLBACK TO unit").and_then(|()| run(conn, "RELEASE unit"))
    }
    .map_err(|e| e.to_string());
    // A unit that only read (a sign-in step that decided to change nothing) has nothing to
    // number or wait for.
    let wrote = kept && ended.is_ok() && conn.total_changes() != changes_before;
    Unit { out, ended, wrote }
}

/// COMMIT the batch (unless `ended`, how its last unit's savepoint ended, says it failed):
/// how long COMMIT took and how many units it numbered. On failure it is rolled back and its
/// connection goes back to the pool; otherwise it is kept for the next batch.
fn commit(
    batch: Open,
    ended: Result<(), String>,
    batches: &Batches,
) -> Result<(std::time::Duration, u64), String> {
    let started = std::time::Instant::now();
    let res = ended.and_then(|()| run(&batch.conn, "COMMIT").map_err(|e| e.to_string()));
    let took = started.elapsed();
    if let Err(e) = res {
        if !batch.conn.is_autocommit() {
            let _ = run(&batch.conn, "ROLLBACK");
        }
        return Err(e);
    }
    *lock(&batches.idle) = Some(batch.conn);
    Ok((took, batch.wrote))
}
