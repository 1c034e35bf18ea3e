//! What the audit hash chain costs (`bench/audit_chain` runs this in release and prints a
//! Markdown table for bench/RESULTS.md):
//!
//! - the write path, side by side: one write transaction holding one `token.issued` audit row
//!   (what every token request adds), into the audit table as it was before the chain
//!   (migration 0001's columns and index, a table of its own in the same database) and into
//!   today's table through `store::audit::insert_audit_event` (two more NULL columns); rounds
//!   alternate, the median round counts;
//! - sealing: `oidc::audit_chain::seal_pending` over the rows just written, rows/s, and how long
//!   one batch (1,000 rows) holds the write turn;
//! - `audit verify` (`oidc::audit_chain::verify`) over them, rows/s.
//!
//! `durability = relaxed`, so the figures are the SQL and hashing work, not the disk: every
//! write path waits for the same fsync in `group` and `each` whatever the chain does.
//!
//! ```sh
//! cargo run --release --example audit_chain_bench -- [ROWS_PER_ROUND] [ROUNDS] [DIR]
//! # one kind of work only, for counting instructions under valgrind (bench/audit_chain does):
//! cargo run --release --example audit_chain_bench -- --only before|after|after+seal ROWS DIR
//! ```
//!
//! On a machine shared with other work the wall-clock rounds scatter by ±20%, more than the
//! difference measured; instruction counts (`--only` under `valgrind --tool=cachegrind`, the
//! per-row figure taken from the difference between two row counts so that start-up cancels
//! out) do not.

use latchkey::oidc::audit_chain::{seal_batch, seal_pending, verify};
use latchkey::store::audit::{AuditEvent, insert_audit_event};
use latchkey::store::{Durability, Store, StoreError};
use std::time::Instant;

fn event(i: usize) -> AuditEvent {
    AuditEvent {
        at: 1_800_000_000 + i as i64,
        kind: "token.issued".into(),
        subject: Some("0b7d7a9e-6c1f-4f57-9f7e-2a7c3c1f9d11".into()),
        client_id: Some("app".into()),
        detail: Some(format!(
            r#"{{"grant":"client_credentials","jti":"{i:0>22}"}}"#
        )),
        ..Default::default()
    }
}

/// Rows per second and microseconds per row for `n` rows in `secs`.
fn rate(n: usize, secs: f64) -> (f64, f64) {
    (n as f64 / secs, secs * 1e6 / n as f64)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Microseconds per row of the fastest and the slowest round.
fn spread(v: &[f64], n: usize) -> (f64, f64) {
    let us = |s: f64| s * 1e6 / n as f64;
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    (us(min), us(max))
}

/// One write transaction with one row, into the table as it was before the chain or as it is.
fn insert(store: &Store, old_table: bool, e: &AuditEvent) {
    if old_table {
        store
            .sql_write(|c| {
                c.prepare_cached(
                    "INSERT INTO audit_before (at, kind, actor, subject, client_id, ip, detail) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(latchkey::store::rusqlite::params![
                    e.at,
                    e.kind,
                    e.actor,
                    e.subject,
                    e.client_id,
                    e.ip,
                    e.detail
                ])?;
                Ok::<_, StoreError>(())
            })
            .expect("insert before");
    } else {
        store
            .write(|c| insert_audit_event(c, e))
            .expect("insert after");
    }
}

fn open(dir: &std::path::Path) -> Store {
    let store =
        Store::open_with(&dir.join("latchkey.db"), Durability::Relaxed).expect("open store");
    store
        .sql_write(|c| {
            c.execute_batch(
                "CREATE TABLE audit_before (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, \
                 kind TEXT NOT NULL, actor TEXT, subject TEXT, client_id TEXT, ip TEXT, detail TEXT);
                 CREATE INDEX audit_before_at ON audit_before(at);",
            )?;
            Ok::<_, StoreError>(())
        })
        .expect("create the old table");
    store
}

/// `--only MODE ROWS DIR`: that work alone, nothing printed.
fn only(mode: &str, rows: usize, dir: &std::path::Path) {
    let store = open(dir);
    for i in 0..rows {
        insert(&store, mode == "before", &event(i));
    }
    if mode == "after+seal" {
        seal_pending(&store).expect("seal");
    }
}

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    if all.first().map(String::as_str) == Some("--only") {
        let usage = "--only before|after|after+seal ROWS DIR";
        let rows = all.get(2).and_then(|a| a.parse().ok()).expect(usage);
        let base = all.get(3).map(std::path::PathBuf::from).expect(usage);
        let dir = tempfile::tempdir_in(base).expect("temp dir");
        return only(&all[1], rows, dir.path());
    }
    let mut args = all.into_iter();
    let per_round: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let base = args.next().map(std::path::PathBuf::from);
    let dir = match &base {
        Some(b) => tempfile::tempdir_in(b),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let store = open(dir.path());

    let (mut before, mut after) = (Vec::new(), Vec::new());
    let mut written = 0;
    for round in 0..rounds {
        // Alternate which goes first, so drift in the machine's load hits both alike.
        for first in [round % 2 == 0, round % 2 != 0] {
            let start = Instant::now();
            for i in 0..per_round {
                insert(&store, first, &event(written + i));
            }
            let secs = start.elapsed().as_secs_f64();
            if first {
                before.push(secs);
            } else {
                after.push(secs);
                written += per_round;
            }
        }
    }
    let (b_rate, b_us) = rate(per_round, median(before.clone()));
    let (a_rate, a_us) = rate(per_round, median(after.clone()));
    let (b_lo, b_hi) = spread(&before, per_round);
    let (a_lo, a_hi) = spread(&after, per_round);

    // One batch first, alone: how long sealing holds the write turn.
    let start = Instant::now();
    let first_batch = store.write(|c| seal_batch(c, 1_000)).expect("seal a batch");
    let batch_ms = start.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    let sealed = first_batch + seal_pending(&store).expect("seal");
    let (seal_rate, seal_us) = rate(sealed, start.elapsed().as_secs_f64() + batch_ms / 1e3);
    let start = Instant::now();
    let v = store.read(|c| verify(c, None)).expect("verify");
    let (verify_rate, _) = rate(v.rows as usize, start.elapsed().as_secs_f64());
    assert!(v.intact && v.rows as usize == written, "{v:?}");

    println!(
        "{rounds} rounds of {per_round} single-row write transactions each way (median round), durability relaxed\n"
    );
    println!("| figure | before the chain | with the chain | change |");
    println!("|---|---|---|---|");
    println!(
        "| one `token.issued` audit row in its own write transaction | {b_rate:.0}/s ({b_us:.1} µs; rounds {b_lo:.1}–{b_hi:.1}) | {a_rate:.0}/s ({a_us:.1} µs; rounds {a_lo:.1}–{a_hi:.1}) | {:+.1} µs ({:+.1}%) |",
        a_us - b_us,
        (a_us / b_us - 1.0) * 100.0
    );
    println!(
        "| sealing (background task, batches of 1,000) | — | {seal_rate:.0} rows/s ({seal_us:.1} µs a row; one batch holds the write turn {batch_ms:.1} ms) | — |"
    );
    println!(
        "| `latchkey audit verify` | — | {verify_rate:.0} rows/s ({} rows) | — |",
        v.rows
    );
}
