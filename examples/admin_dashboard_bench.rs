//! What the admin dashboard costs on a big store (`bench/admin_dashboard` runs this and prints
//! a Markdown table for bench/RESULTS.md):
//!
//! - the chart's query (`store::audit::sign_ins_per_hour`: sign-ins and failures per hour over 7
//!   days) over a week of audit events, with the `(kind, at)` index of migration 0014 and
//!   without it (the `at` index alone);
//! - the throttle list (`store::audit::latest_throttle_blocks`), with and without it;
//! - doctor's checks on the running server (`doctor::inspect_running`, which reads every user);
//! - the whole of what GET /admin adds to the gate: `oidc::admin::dashboard::dashboard`, in a
//!   read unit as the page runs it (with the keys made first, as the server does at start);
//! - what the index costs every audit row (`--only`, under valgrind: instructions do not depend
//!   on the machine's other work): one row in its own write transaction, with it and without.
//!
//! `durability = relaxed`: the figures are the SQL work, not the disk.
//!
//! ```sh
//! cargo run --release --example admin_dashboard_bench -- [USERS] [EVENTS] [ROUNDS] [DIR]
//! # rows of one kind only, with the index or without, for counting instructions under valgrind
//! # (bench/admin_dashboard does):
//! cargo run --release --example admin_dashboard_bench -- --only token|login on|off ROWS DIR
//! ```

use latchkey::config::{Settings, Sources};
use latchkey::oidc::admin::dashboard::{self, HOURS};
use latchkey::store::audit::{
    self, AuditEvent, SIGN_IN_FAILED, SIGNED_IN, THROTTLED, insert_audit_event,
};
use latchkey::store::users::{NewUser, insert_user};
use latchkey::store::{Durability, Store, StoreError};
use std::time::Instant;

const NOW: i64 = 1_800_000_000;
const WEEK: i64 = 7 * 86_400;
/// OWASP's argon2id parameters, so doctor finds nothing weak (the hash is never checked).
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

/// The `i`-th of `n` events spread over the week before [`NOW`]: 15% sign-ins, 3% failures,
/// 1% throttle blocks, the rest tokens (what most audit rows are).
fn event(i: usize, n: usize) -> AuditEvent {
    let at = NOW - WEEK + (i as i64 * WEEK) / n as i64;
    let (kind, actor) = match i % 100 {
        0..15 => (SIGNED_IN, Some(format!("user{}", i % 1000))),
        15..18 => (SIGN_IN_FAILED, Some(format!("user{}", i % 1000))),
        18 => (THROTTLED[0], Some(format!("user{}", i % 1000))),
        _ => ("token.issued", None),
    };
    AuditEvent {
        at,
        kind: kind.into(),
        actor,
        subject: Some("0b7d7a9e-6c1f-4f57-9f7e-2a7c3c1f9d11".into()),
        client_id: Some("app".into()),
        ip: Some("192.0.2.7".into()),
        detail: Some(format!(r#"{{"jti":"{i:0>22}"}}"#)),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Median milliseconds of `rounds` runs of `f`.
fn ms(rounds: usize, mut f: impl FnMut()) -> f64 {
    median(
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

/// Migration 0014's index, dropped or made again.
fn index(store: &Store, on: bool) {
    store
        .sql_write(|c| {
            c.execute_batch("DROP INDEX IF EXISTS audit_events_kind_at")?;
            if on {
                c.execute_batch(include_str!("../migrations/0014_audit_kind_index.sql"))?;
            }
            Ok::<_, StoreError>(())
        })
        .expect("index");
}

/// `--only token|login on|off ROWS DIR`: that many audit rows of that kind, each in its own
/// write transaction, into a fresh store with migration 0014's index or without it.
fn only(args: &[String]) {
    let usage = "--only token|login on|off ROWS DIR";
    let kind = match args.first().map(String::as_str) {
        Some("token") => "token.issued",
        Some("login") => SIGN_IN_FAILED,
        _ => panic!("{usage}"),
    };
    let on = args.get(1).map(String::as_str) == Some("on");
    let rows: usize = args.get(2).and_then(|a| a.parse().ok()).expect(usage);
    let dir = tempfile::tempdir_in(args.get(3).expect(usage)).expect("temp dir");
    let store =
        Store::open_with(&dir.path().join("latchkey.db"), Durability::Relaxed).expect("store");
    index(&store, on);
    for i in 0..rows {
        let e = AuditEvent {
            kind: kind.into(),
            ..event(99 + i * 100, rows)
        };
        store.write(|c| insert_audit_event(c, &e)).expect("row");
    }
}

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    if all.first().map(String::as_str) == Some("--only") {
        return only(&all[1..]);
    }
    let mut args = all.into_iter();
    let users: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let events: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let dir = match args.next() {
        Some(b) => tempfile::tempdir_in(b),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let store =
        Store::open_with(&dir.path().join("latchkey.db"), Durability::Relaxed).expect("store");
    let settings = Settings::load(&Sources {
        config_file: None,
        env: vec![],
        flags: vec![("data_dir", dir.path().display().to_string())],
    })
    .expect("settings");

    let t = Instant::now();
    for chunk in (0..users).collect::<Vec<_>>().chunks(10_000) {
        store
            .write(|c| {
                for &i in chunk {
                    let (name, mail) = (format!("user{i}"), format!("user{i}@example.com"));
                    insert_user(
                        c,
                        &NewUser {
                            subject: &format!("sub-{i:0>12}"),
                            username: &name,
                            email: &mail,
                            email_verified: true,
                            name: None,
                            password_hash: HASH,
                            is_admin: i == 0,
                        },
                        NOW - WEEK,
                    )?;
                }
                Ok::<_, StoreError>(())
            })
            .expect("users");
    }
    for chunk in (0..events).collect::<Vec<_>>().chunks(10_000) {
        store
            .write(|c| {
                for &i in chunk {
                    insert_audit_event(c, &event(i, events))?;
                }
                Ok::<_, StoreError>(())
            })
            .expect("events");
    }
    eprintln!(
        "admin_dashboard_bench: {users} users, {events} events written in {:.0} s",
        t.elapsed().as_secs_f64()
    );

    store
        .write(|c| latchkey::oidc::signing_keys::ensure_keys(c, NOW))
        .expect("keys");
    let from = dashboard::chart_start(NOW);
    let chart = || {
        store
            .read(|c| audit::sign_ins_per_hour(c, from, HOURS as i64))
            .expect("chart");
    };
    let throttles = || {
        store
            .read(|c| audit::latest_throttle_blocks(c, from, 10))
            .expect("throttles");
    };
    let hours = store
        .read(|c| audit::sign_ins_per_hour(c, from, HOURS as i64))
        .expect("chart");
    assert!(
        hours.len() >= HOURS - 1,
        "the week is covered: {}",
        hours.len()
    );

    let chart_with = ms(rounds, chart);
    let throttles_with = ms(rounds, throttles);
    index(&store, false);
    let chart_without = ms(rounds, chart);
    let throttles_without = ms(rounds, throttles);
    index(&store, true);
    let doctor = ms(rounds, || {
        store
            .read(|c| Ok::<_, StoreError>(latchkey::doctor::inspect_running(&settings, NOW, c)))
            .expect("doctor");
    });
    let whole = ms(rounds, || {
        store
            .read(|c| Ok(dashboard::dashboard(c, &settings, NOW).expect("dashboard")))
            .expect("dashboard");
    });

    println!("| on {users} users and {events} audit events over 7 days | median |");
    println!("|---|---|");
    println!(
        "| chart query (sign-ins and failures per hour, 168 hours), with migration 0014's index | {chart_with:.1} ms |"
    );
    println!("| the same without it (the `at` index only) | {chart_without:.1} ms |");
    println!("| latest 10 throttle blocks, with the index | {throttles_with:.2} ms |");
    println!("| the same without it | {throttles_without:.1} ms |");
    println!("| doctor's checks on the running server (`inspect_running`) | {doctor:.0} ms |");
    println!(
        "| the dashboard's read unit (`oidc::admin::dashboard::dashboard`: all of the above and the keys) | {whole:.0} ms |"
    );
}
