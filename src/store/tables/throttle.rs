//! Throttle counters (`throttle_counters`, `throttle_sources`), shared by every node on the
//! database. Portable SQL only (the PostgreSQL backend runs the same statements): upserts with
//! `ON CONFLICT ... DO UPDATE`, no SQLite functions. The policy (what is counted under which key,
//! how long a wait is) is `oidc::throttle`'s; keys arrive hashed.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{OptionalExtension, params};

/// A counter quiet (no failure) for this long starts over, and the sweep may delete it.
pub const FORGET_AFTER_SECS: i64 = 3600;

/// What counting one failure left in the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Failures now, this one included.
    pub failures: i64,
    /// `blocked_until` before this failure (0 when the counter started over).
    pub prior_block: i64,
}

/// The latest end of a wait among `keys` (0 when none is or was blocked).
pub fn blocked_until(tx: &Tx<'_>, keys: &[&str]) -> Result<i64> {
    let c = tx.conn();
    let mut st = c.prepare_cached("SELECT blocked_until FROM throttle_counters WHERE key = ?1")?;
    let mut latest = 0;
    for k in keys {
        if let Some(b) = st
            .query_row(params![k], |r| r.get::<_, i64>(0))
            .optional()?
        {
            latest = latest.max(b);
        }
    }
    Ok(latest)
}

/// Count one failure under `key` in one statement: a row quiet for [`FORGET_AFTER_SECS`] starts
/// over. A row blocked after `unless_blocked_after` is left as it is and None comes back: the
/// caller checked the key before, and another node's failure blocked it since. The row stays
/// locked until the transaction ends (PostgreSQL), so [`set_block`] follows without a race.
pub fn count_failure(
    tx: &Tx<'_>,
    key: &str,
    now: i64,
    unless_blocked_after: i64,
) -> Result<Option<Counted>> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO throttle_counters \
           (key, failures, since, last_failure, blocked_until, prior_block) \
         VALUES (?1, 1, ?2, ?2, 0, 0) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN ?2 - throttle_counters.last_failure >= ?3 THEN 1 \
                      ELSE throttle_counters.failures + 1 END, \
           since = CASE WHEN ?2 - throttle_counters.last_failure >= ?3 THEN ?2 \
                   ELSE throttle_counters.since END, \
           prior_block = CASE WHEN ?2 - throttle_counters.last_failure >= ?3 THEN 0 \
                         ELSE throttle_counters.blocked_until END, \
           blocked_until = CASE WHEN ?2 - throttle_counters.last_failure >= ?3 THEN 0 \
                           ELSE throttle_counters.blocked_until END, \
           last_failure = ?2 \
         WHERE throttle_counters.blocked_until <= ?4 \
         RETURNING failures, prior_block",
    )?
    .query_row(
        params![key, now, FORGET_AFTER_SECS, unless_blocked_after],
        |r| {
            Ok(Counted {
                failures: r.get(0)?,
                prior_block: r.get(1)?,
            })
        },
    )
    .optional()
}

/// Start a wait on `key` (right after [`count_failure`] counted past the allowance).
pub fn set_block(tx: &Tx<'_>, key: &str, until: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("UPDATE throttle_counters SET blocked_until = ?2 WHERE key = ?1")?
        .execute(params![key, until])?;
    Ok(())
}

/// Take back a failure counted in advance: one fewer, and the wait it started (when no
/// failure was counted since, i.e. the count is still `failures`) goes back to `prior_block`.
pub fn give_back(tx: &Tx<'_>, key: &str, failures: i64, prior_block: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE throttle_counters SET \
           blocked_until = CASE WHEN failures = ?2 THEN ?3 ELSE blocked_until END, \
           failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END \
         WHERE key = ?1",
    )?
    .execute(params![key, failures, prior_block])?;
    Ok(())
}

/// Forget a counter altogether.
pub fn clear(tx: &Tx<'_>, key: &str) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("DELETE FROM throttle_counters WHERE key = ?1")?
        .execute(params![key])?;
    Ok(())
}

/// Failures a counter holds at `now` (0 once it has been quiet for [`FORGET_AFTER_SECS`]).
pub fn failures(tx: &Tx<'_>, key: &str, now: i64) -> Result<i64> {
    let c = tx.conn();
    Ok(c.prepare_cached(
        "SELECT failures FROM throttle_counters WHERE key = ?1 AND ?2 - last_failure < ?3",
    )?
    .query_row(params![key, now, FORGET_AFTER_SECS], |r| r.get(0))
    .optional()?
    .unwrap_or(0))
}

/// Note that a failure under `key` came from `source`, keeping at most `most` sources per
/// count (enough to know a threshold is met; the rows stay few whatever a botnet does).
pub fn note_source(tx: &Tx<'_>, key: &str, source: &str, now: i64, most: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO throttle_sources (key, source, seen_at) \
         SELECT CAST(?1 AS TEXT), CAST(?2 AS TEXT), CAST(?3 AS BIGINT) \
         WHERE (SELECT CAST(COUNT(*) AS BIGINT) FROM throttle_sources s \
                JOIN throttle_counters t ON t.key = s.key \
                WHERE s.key = ?1 AND s.seen_at >= t.since) < ?4 \
         ON CONFLICT (key, source) DO UPDATE SET seen_at = excluded.seen_at",
    )?
    .execute(params![key, source, now, most])?;
    Ok(())
}

/// Distinct sources noted under `key` since its counter last started over (0 once it has been
/// quiet for [`FORGET_AFTER_SECS`]).
pub fn sources(tx: &Tx<'_>, key: &str, now: i64) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM throttle_sources s \
         JOIN throttle_counters t ON t.key = s.key \
         WHERE s.key = ?1 AND ?2 - t.last_failure < ?3 AND s.seen_at >= t.since",
    )?
    .query_row(params![key, now, FORGET_AFTER_SECS], |r| r.get(0))
}

/// Delete counters quiet for [`FORGET_AFTER_SECS`] and not blocking anyone, and the sources no
/// current count holds. Returns how many rows went.
pub fn delete_expired(tx: &Tx<'_>, now: i64) -> Result<usize> {
    let c = tx.conn();
    let counters = c
        .prepare_cached(
            "DELETE FROM throttle_counters WHERE last_failure <= ?1 AND blocked_until <= ?2",
        )?
        .execute(params![now - FORGET_AFTER_SECS, now])?;
    let sources = c
        .prepare_cached(
            "DELETE FROM throttle_sources WHERE NOT EXISTS \
             (SELECT 1 FROM throttle_counters t \
              WHERE t.key = throttle_sources.key AND t.since <= throttle_sources.seen_at)",
        )?
        .execute([])?;
    Ok(counters + sources)
}
