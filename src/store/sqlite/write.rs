//! SQLite write units, committed in batches by whichever writer leads.
//!
//! A writer queues its unit. When no writer leads, it leads: it takes the writer turn, opens
//! one `BEGIN IMMEDIATE` transaction and runs its own unit and then the units queued behind it
//! (each inside its own savepoint), one after another on its own thread, until the queue is
//! empty or [`MAX_UNITS`] ran (one with `durability = "each"`, which promises SQLite's own
//! fsync in every unit's COMMIT). It commits them together, hands the lead to the first writer
//! still queued, and tells each writer how its unit's batch ended. Nothing is acknowledged
//! before it is committed.
//!
//! Why batches: a refresh's statements take ~25 µs, but its COMMIT (~10 WAL frames) and
//! SQLite's checkpoint of those frames took ~100 µs more, all inside the turn. Units of one
//! batch that append to the same pages (new tokens, audit rows, their indexes) write each page
//! once per batch, so under load the turn is held for little more than the statements.
//!
//! Why the leader runs the others' units: when each writer ran its own unit in turn, each
//! queued writer slept twice (for the turn, then for the COMMIT), and on a busy machine the
//! turn sat idle after every unit until the next writer's thread got a core. A queued writer
//! now sleeps once, until told its batch's outcome, and the leader runs the queue at full
//! speed.
//!
//! What stays as it was: units still run strictly one after another, so a rule a unit checks
//! still holds when it commits; a unit that returns Err (or panics) is rolled back to its
//! savepoint, the rest of the batch is unaffected, and the error (or panic) reaches its own
//! writer. Only a failed COMMIT (disk full, I/O error) fails every unit of the batch, and none
//! of them is acknowledged. A unit may not start another write (`NestedWrite`), whichever
//! thread runs it.
//!
//! The leader also waits for the batch's fsync on behalf of the units that need one, when its
//! own unit needs it (a short-lived leader returns at once, and they each wait as a lone
//! writer does): they sleep once, until told the batch is durable.
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
use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// The most units one transaction holds: bounds how long the first of them waits.
pub const MAX_UNITS: usize = 32;

/// The units waiting for a leader, and the connection batches run on.
#[derive(Default)]
pub struct Batches {
    queue: Mutex<Queue>,
    /// The connection of the last batch, kept for the next one. Every write of this process
    /// goes through it, so its page cache stays valid between batches; a pooled connection's
    /// is dropped whenever another connection has committed, and each batch read its pages
    /// back from the file.
    idle: Mutex<Option<WriterConn>>,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// A writer leads: it runs the queued units or hands the lead on. Never false while a
    /// unit is queued.
    leading: bool,
}

#[cfg(test)]
impl Batches {
    /// Units queued and not yet run.
    pub(super) fn queued(&self) -> usize {
        lock(&self.queue).jobs.len()
    }
}

type Conn = PooledConnection<SqliteConnectionManager>;

/// A writer's unit as the leader runs it; its result stays with the writer.
type Run<'a> = Box<dyn FnOnce(&Connection) -> Ran + Send + 'a>;

/// A unit on its way to the leader.
struct Job {
    /// Borrows from its writer's stack: see [`erase`].
    run: Run<'static>,
    slot: Arc<Slot>,
}

/// What the leader learns from running a unit.
struct Ran {
    /// Its savepoint was released (or rolled back) cleanly; otherwise the batch ends here.
    ended: Result<(), String>,
    /// It changed rows and they were kept: it gets a commit number.
    wrote: bool,
    /// It wrote and must be durable before it is acknowledged.
    durable: bool,
}

/// Lets a unit that borrows its writer's locals travel to the leader's thread.
///
/// SAFETY (the caller's part): the writer does not return, or unwind, before the unit has run
/// (which consumes it) or been dropped. [`write`] guarantees it: it returns only once its
/// slot is told how the batch ended, the leader tells a slot only after its unit ran or was
/// dropped, and nothing in [`Slot::wait`] panics. `std::thread::scope` rests on the same rule.
fn erase(run: Run<'_>) -> Run<'static> {
    // SAFETY: only the lifetime changes (same layout); see above for why it is not outlived.
    unsafe { std::mem::transmute::<Run<'_>, Run<'static>>(run) }
}

/// Where a queued writer waits: to be handed the lead, or told how its batch ended.
#[derive(Default)]
struct Slot {
    told: Mutex<Told>,
    cv: Condvar,
}

#[derive(Default)]
struct Told {
    /// The lead, handed on with this writer's own unit (first of the next batch).
    lead: Option<Job>,
    /// How the batch ended, for this writer's unit.
    ended: Option<Ended>,
}

/// How a unit's batch ended.
struct Ended {
    /// `Ok(n)` with the commit number of the batch's last unit (0 when no unit wrote), or why
    /// it was not committed.
    committed: Result<u64, Failed>,
    /// The unit must be durable before it is acknowledged.
    durable: bool,
    /// The fsync's result, when the leader waited for it on the unit's behalf; None when the
    /// unit waits by itself.
    synced: Option<Result<(), Failed>>,
}

impl Ended {
    fn failed(f: Failed) -> Self {
        Ended {
            committed: Err(f),
            durable: false,
            synced: None,
        }
    }
}

enum Heard {
    Lead(Job),
    Ended(Ended),
}

impl Slot {
    /// Wait to be handed the lead, or told how the batch ended.
    fn wait(&self) -> Heard {
        let mut told = lock(&self.told);
        loop {
            if let Some(job) = told.lead.take() {
                return Heard::Lead(job);
            }
            if let Some(ended) = told.ended.take() {
                return Heard::Ended(ended);
            }
            told = self.cv.wait(told).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn tell(&self, heard: Heard) {
        let mut told = lock(&self.told);
        match heard {
            Heard::Lead(job) => told.lead = Some(job),
            Heard::Ended(ended) => told.ended = Some(ended),
        }
        drop(told);
        self.cv.notify_one();
    }
}

/// Why a batch was not committed, or not made durable.
#[derive(Clone)]
enum Failed {
    /// Its BEGIN, its COMMIT or its last unit's savepoint failed.
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

/// Run `f` as one unit of a batch (see the module comment) and wait until the batch is
/// committed and, when `wait` (or the unit marked itself), durable.
pub fn write<T: Send, E: From<StoreError> + Send>(
    pool: &Pool,
    committer: &Committer,
    batches: &Batches,
    wait: bool,
    f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E> + Send,
) -> std::result::Result<T, E> {
    committer.may_begin()?;
    // Filled by whichever thread runs the unit: `f`'s result, or its panic.
    let mut out: Option<std::thread::Result<std::result::Result<T, E>>> = None;
    let slot = Arc::new(Slot::default());
    let result = &mut out;
    let job = Job {
        run: erase(Box::new(move |conn: &Connection| {
            let must_sync = Cell::new(wait);
            let unit = run_unit(conn, &must_sync, f);
            *result = Some(unit.out);
            Ran {
                ended: unit.ended,
                wrote: unit.wrote,
                durable: unit.wrote && must_sync.get(),
            }
        })),
        slot: slot.clone(),
    };
    let ended = {
        let mut queue = lock(&batches.queue);
        let heard = if queue.leading {
            queue.jobs.push_back(job);
            drop(queue);
            slot.wait()
        } else {
            queue.leading = true;
            drop(queue);
            Heard::Lead(job)
        };
        match heard {
            Heard::Lead(job) => lead(pool, committer, batches, job),
            Heard::Ended(ended) => ended,
        }
    };
    // Told: the unit ran (or was dropped unrun); `out` is this thread's again.
    let out = match out {
        Some(Err(panic)) => resume_unwind(panic),
        Some(Ok(out)) => Some(out),
        None => None,
    };
    let seq = ended.committed.map_err(StoreError::from)?;
    let out = out.ok_or_else(|| StoreError::Unavailable("the write unit did not run".into()))??;
    if ended.durable {
        match ended.synced {
            Some(res) => res.map_err(StoreError::from)?,
            // Outside the turn: later writers commit while this one waits for its fsync.
            None => committer.wait_durable(seq)?,
        }
    }
    Ok(out)
}

/// A unit the leader took into the open batch.
struct Member {
    slot: Arc<Slot>,
    durable: bool,
}

/// The members of the batch being led, until they are told. Should the leader unwind (a bug
/// here: the units' own panics are caught), they are told that the batch failed and the lead
/// goes on, instead of every writer waiting forever.
struct Leading<'a> {
    batches: &'a Batches,
    members: Vec<Member>,
    handed_on: bool,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        for m in self.members.drain(..) {
            let failed = Failed::Commit("the writer leading the batch panicked".into());
            m.slot.tell(Heard::Ended(Ended::failed(failed)));
        }
        if !self.handed_on {
            self.hand_on();
        }
    }
}

/// The writer's connection. Dropped inside a transaction (a failed COMMIT, a batch refused after
/// a failed fsync, a leader unwinding), it rolls back, so the pool never hands out a connection
/// that holds the write lock.
struct WriterConn(Conn);

impl Drop for WriterConn {
    fn drop(&mut self) {
        super::connection::rollback_open(&self.0);
    }
}

impl Leading<'_> {
    /// The batch is over (or never began): the lead goes to the next writer queued.
    fn hand_on(&mut self) {
        self.handed_on = true;
        hand_on(self.batches);
    }
}

/// Lead one batch, starting with `first`, this writer's own unit: run it and the units queued
/// behind it, commit, hand the lead on, and tell each writer how the batch ended (waiting for
/// its fsync first when this writer's unit needs it). Returns how it ended for `first`.
fn lead(pool: &Pool, committer: &Committer, batches: &Batches, first: Job) -> Ended {
    let mut leading = Leading {
        batches,
        members: Vec::new(),
        handed_on: false,
    };
    let turn = committer.take_turn();
    let begun = committer
        .check_healthy()
        .map_err(|e| Failed::from(&e))
        .and_then(|()| begin(pool, batches).map_err(|e| Failed::Commit(e.to_string())));
    let conn = match begun {
        Ok(conn) => conn,
        Err(failed) => {
            // This writer's unit fails alone; the next leader tries again for the others.
            drop(first.run);
            drop(turn);
            leading.hand_on();
            return Ended::failed(failed);
        }
    };
    let mut wrote = 0;
    let mut ended = Ok(());
    let mut refused = None;
    let mut next = Some(first);
    while let Some(job) = next.take() {
        leading.members.push(Member {
            slot: job.slot,
            durable: false,
        });
        if let Err(e) = committer.check_healthy() {
            // An fsync failed since the batch began: end it unacknowledged.
            drop(job.run);
            refused = Some(Failed::from(&e));
            break;
        }
        let ran = (job.run)(&conn.0);
        if let Some(m) = leading.members.last_mut() {
            m.durable = ran.durable;
        }
        wrote += u64::from(ran.wrote);
        if ran.ended.is_err() {
            ended = ran.ended;
            break;
        }
        if leading.members.len() < max_units(committer) {
            next = next_job(batches);
        }
    }
    let committed = match refused {
        None => commit(conn, ended, batches).map_err(Failed::Commit),
        Some(failed) => {
            drop(conn); // rolls the batch back
            Err(failed)
        }
    };
    let seq = match committed {
        Ok(took) => Ok(turn.committed(took, wrote)),
        Err(failed) => {
            drop(turn);
            Err(failed)
        }
    };
    leading.hand_on();
    tell(committer, &mut leading.members, seq)
}

/// The next queued unit. When none is queued, give the CPU away once first: on a busy machine
/// a writer about to queue often gets to run, and joining costs far less than a COMMIT of its
/// own.
fn next_job(batches: &Batches) -> Option<Job> {
    if let Some(job) = lock(&batches.queue).jobs.pop_front() {
        return Some(job);
    }
    std::thread::yield_now();
    lock(&batches.queue).jobs.pop_front()
}

/// A new batch: the kept connection (or a pooled one) in `BEGIN IMMEDIATE`.
fn begin(pool: &Pool, batches: &Batches) -> Result<WriterConn, StoreError> {
    let kept = lock(&batches.idle).take();
    let conn = match kept {
        Some(conn) => conn,
        None => WriterConn(pool.get()?),
    };
    // On failure the connection goes back to the pool, not to `idle`.
    run(&conn.0, "BEGIN IMMEDIATE")?;
    Ok(conn)
}

/// After a batch: the lead goes to the first writer queued, with its unit.
fn hand_on(batches: &Batches) {
    let mut queue = lock(&batches.queue);
    match queue.jobs.pop_front() {
        Some(job) => {
            let slot = job.slot.clone();
            slot.tell(Heard::Lead(job));
        }
        None => queue.leading = false,
    }
}

/// Tell every member but the first (the leader) how the batch ended; when the leader's unit
/// needs the fsync, wait for it and tell it to the members that need it too, which sleep
/// until then. Members stay in `members` until told (see [`Leading`]). The leader's own
/// outcome.
fn tell(committer: &Committer, members: &mut Vec<Member>, seq: Result<u64, Failed>) -> Ended {
    let own = !members.is_empty() && members.remove(0).durable;
    let drives = own && seq.is_ok();
    members.retain(|m| {
        let waits = drives && m.durable;
        if !waits {
            m.slot.tell(Heard::Ended(Ended {
                committed: seq.clone(),
                durable: m.durable,
                synced: None,
            }));
        }
        waits
    });
    let synced = match &seq {
        Ok(n) if drives => {
            // Outside the turn: the next batch commits while this one waits.
            let synced = committer.wait_durable(*n).map_err(|e| Failed::from(&e));
            for m in members.drain(..) {
                m.slot.tell(Heard::Ended(Ended {
                    committed: seq.clone(),
                    durable: true,
                    synced: Some(synced.clone()),
                }));
            }
            Some(synced)
        }
        _ => None,
    };
    Ended {
        committed: seq,
        durable: own,
        synced,
    }
}

/// What one unit did inside the batch's transaction.
struct Unit<T> {
    /// `f`'s result, or its panic (resumed by its own writer).
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
    must_sync: &Cell<bool>,
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
/// how long COMMIT took. On failure the connection is dropped (rolled back, back to the pool);
/// otherwise it is kept for the next batch.
fn commit(
    conn: WriterConn,
    ended: Result<(), String>,
    batches: &Batches,
) -> Result<std::time::Duration, String> {
    let started = std::time::Instant::now();
    ended.and_then(|()| run(&conn.0, "COMMIT").map_err(|e| e.to_string()))?;
    let took = started.elapsed();
    *lock(&batches.idle) = Some(conn);
    Ok(took)
}
