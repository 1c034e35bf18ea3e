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
            outcome: Arc::default(),
        })
    }
}

/// How a batch's COMMIT ended: `Ok(n)` with the commit number of its last unit (0 when no unit
/// wrote), or why it failed.
#[derive(Default)]
struct Outcome {
    done: Mutex<Option<Result<u64, String>>>,
    told: Condvar,
}

impl Outcome {
    fn publish(&self, res: Result<u64, String>) {
        *lock(&self.done) = Some(res);
        self.told.notify_all();
    }

    fn wait(&self) -> Result<u64, String> {
        let mut done = lock(&self.done);
        loop {
            if let Some(res) = &*done {
                return res.clone();
            }
            done = self.told.wait(done).unwrap_or_else(PoisonError::into_inner);
        }
    }
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
            o.outcome.publish(Err(e.to_string()));
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
    batch.units += 1;
    batch.wrote += u64::from(unit.wrote);
    let outcome = batch.outcome.clone();
    let last = batch.units >= max_units(committer) || !more_coming(batches);
    let committed = match (unit.ended, last) {
        (Ok(()), false) => {
            *open = Some(batch);
            drop(open);
            drop(turn);
            outcome.wait()
        }
        (ended, _) => {
            drop(open);
            let res = commit(batch, ended, batches);
            let seq = match res {
                Ok((took, units)) => Ok(turn.committed(took, units)),
                Err(e) => {
                    drop(turn);
                    Err(e)
                }
            };
            outcome.publish(seq.clone());
            seq
        }
    };
    let out = match unit.out {
        Ok(out) => out,
        Err(panic) => resume_unwind(panic),
    };
    let seq = committed.map_err(|e| {
        StoreError::Unavailable(format!("the write transaction was not committed: {e}"))
    })?;
    let out = out?;
    // Outside the turn: later writers commit while this one waits for its fsync.
    if unit.wrote && must_sync.get() {
        committer.wait_durable(seq)?;
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
