//! The `durability` setting and group commit, on real database files and the real binary.

use crate::support::*;
use latchkey::store::{Durability, Store, StoreError};
use std::path::Path;
use std::sync::Arc;

fn open(dir: &Path, mode: Durability) -> Store {
    let store = Store::open_with(&db_path(dir), mode).expect("open store");
    assert_eq!(store.durability(), mode);
    store
}

fn count(store: &Store, kind: &str) -> i64 {
    store
        .sql(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM audit_events WHERE kind = ?1",
                [kind],
                |r| r.get(0),
            )?)
        })
        .expect("count rows")
}

/// `threads` threads each make `per_thread` writes. After each write returns, the commit it made
/// must already be durable: `write` numbers commits in order inside the writer turn, so the
/// closure knows its own number (`commits + 1`).
fn hammer(store: &Store, threads: usize, per_thread: usize, kind: &'static str) {
    let store = Arc::new(store.clone());
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    let mut mine = 0;
                    store
                        .sql_write(|c| {
                            mine = store.sync_stats().commits + 1;
                            c.execute(
                                "INSERT INTO audit_events (at, kind, detail) VALUES (?1, ?2, ?3)",
                                rusqlite_params(t, i, kind),
                            )?;
                            Ok::<_, StoreError>(())
                        })
                        .expect("write");
                    let now = store.sync_stats();
                    if store.durability() != Durability::Relaxed {
                        assert!(
                            now.durable >= mine,
                            "write {mine} returned before it was durable: {now:?}"
                        );
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("writer thread");
    }
}

fn rusqlite_params(t: usize, i: usize, kind: &str) -> (i64, String, String) {
    (1_700_000_000, kind.to_owned(), format!("{t}/{i}"))
}

#[test]
fn concurrent_group_writes_are_all_durable_after_reopening_and_share_fsyncs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Durability::Group);
    let before = store.sync_stats();

    hammer(&store, 48, 5, "group-commit");

    let after = store.sync_stats();
    let commits = after.commits - before.commits;
    let syncs = after.wal_syncs - before.wal_syncs;
    assert_eq!(commits, 240);
    assert_eq!(after.durable, after.commits, "{after:?}");
    assert!(
        syncs < commits,
        "48 concurrent writers should share fsyncs: {syncs} fsyncs for {commits} commits"
    );
    drop(store);
    let reopened = open(dir.path(), Durability::Group);
    assert_eq!(count(&reopened, "group-commit"), 240);
    // Every thread's every write, not just the right number of rows.
    let distinct: i64 = reopened
        .sql(|c| {
            Ok(c.query_row(
                "SELECT COUNT(DISTINCT detail) FROM audit_events WHERE kind = 'group-commit'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(distinct, 240);
}

#[test]
fn each_mode_counts_one_fsync_per_commit_and_keeps_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Durability::Each);
    let before = store.sync_stats();

    hammer(&store, 8, 4, "each-commit");

    let after = store.sync_stats();
    assert_eq!(after.commits - before.commits, 32);
    assert_eq!(after.wal_syncs - before.wal_syncs, 32);
    assert_eq!(after.durable, after.commits);
    drop(store);
    assert_eq!(
        count(&open(dir.path(), Durability::Each), "each-commit"),
        32
    );
}

#[test]
fn relaxed_mode_waits_for_no_fsync_and_keeps_every_write_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Durability::Relaxed);

    hammer(&store, 8, 4, "relaxed-commit");

    let after = store.sync_stats();
    assert_eq!(after.commits, 32);
    assert_eq!(after.wal_syncs, 0, "relaxed never fsyncs for a write");
    drop(store);
    assert_eq!(
        count(&open(dir.path(), Durability::Relaxed), "relaxed-commit"),
        32
    );
}

#[test]
fn pooled_connections_use_synchronous_normal_for_group_and_relaxed_and_full_for_each() {
    for (mode, want) in [
        (Durability::Group, 1),
        (Durability::Relaxed, 1),
        (Durability::Each, 2),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), mode);
        let (journal, sync) = store
            .sql_write(|c| {
                Ok::<_, StoreError>((
                    c.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))?,
                    c.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))?,
                ))
            })
            .unwrap();
        assert_eq!(journal, "wal", "{mode}");
        assert_eq!(sync, want, "{mode}");
    }
}

#[test]
fn a_write_whose_closure_fails_leaves_no_row_waits_for_nothing_and_frees_the_turn() {
    for mode in [Durability::Group, Durability::Each, Durability::Relaxed] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), mode);
        let before = store.sync_stats();

        let res: Result<(), StoreError> = store.sql_write(|c| {
            c.execute(
                "INSERT INTO audit_events (at, kind) VALUES (1, 'rolled-back')",
                [],
            )?;
            Err(StoreError::Conflict("stop here".into()))
        });

        assert!(matches!(res, Err(StoreError::Conflict(_))), "{mode}");
        assert_eq!(count(&store, "rolled-back"), 0, "{mode}");
        assert_eq!(store.sync_stats(), before, "{mode}: nothing committed");
        // The writer turn was given back: the next write goes through at once.
        store
            .sql_write(|c| {
                c.execute("INSERT INTO audit_events (at, kind) VALUES (1, 'next')", [])?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(count(&store, "next"), 1, "{mode}");
        assert_eq!(store.sync_stats().commits, before.commits + 1, "{mode}");
    }
}

#[test]
fn a_bad_durability_value_stops_the_cli_and_serve_with_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["user", "list"][..],
        &["serve", "--bind", "127.0.0.1:0"][..],
    ] {
        let mut cmd = latchkey_cmd(dir.path());
        cmd.args(args).env("LATCHKEY_DURABILITY", "fsync-sometimes");

        let out = run(cmd, None);

        let err = out.one_line_error();
        assert!(
            err.contains("`durability`") && err.contains("LATCHKEY_DURABILITY"),
            "{args:?}: {err}"
        );
        assert!(err.contains("group"), "the error lists the values: {err}");
    }
    assert!(!db_path(dir.path()).exists(), "nothing should be created");
}

#[test]
fn the_cli_works_in_every_durability_mode() {
    let dir = tempfile::tempdir().unwrap();
    for (i, mode) in ["group", "each", "relaxed"].into_iter().enumerate() {
        let mut cmd = latchkey_cmd(dir.path());
        cmd.args([
            "user",
            "add",
            &format!("user{i}"),
            "--email",
            &format!("u{i}@example.com"),
            "--password-stdin",
        ])
        .env("LATCHKEY_DURABILITY", mode);
        run(cmd, Some("a long enough password\n")).ok();
    }
    let list = run_cli(dir.path(), &["user", "list", "--json"], None).json();
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list}");
}

// ---------------------------------------------------------------- crash

/// Sign in on the login page; the 303 means the session row was written and acknowledged.
async fn sign_in(client: &reqwest::Client, base: &str) {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login");
    let html = page.text().await.expect("login page");
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("csrf token") + marker.len();
    let csrf = &html[start..start + html[start..].find('"').expect("end of token")];
    // Twelve browsers on one address: beyond two password checks at once the throttle answers
    // 429 with Retry-After, and a browser tries again, as a person would.
    for _ in 0..50 {
        let res = client
            .post(format!("{base}/login"))
            .form(&[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf_token", csrf),
            ])
            .send()
            .await
            .expect("POST /login");
        if res.status() != 429 {
            assert_eq!(res.status(), 303, "signed in");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("still busy after 50 tries");
}

async fn home_shows_alice(client: &reqwest::Client, base: &str) -> bool {
    let res = client.get(format!("{base}/")).send().await.expect("GET /");
    res.text()
        .await
        .expect("home page")
        .contains("Signed in as <strong>alice</strong>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_clients_acknowledged_before_a_sigkill_are_there_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    add_user_cli(data, "alice");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = ChildServer::start_with(data, port, &[]);

    // Concurrent sign-ins (their session writes share fsyncs) and a CLI write while serving.
    let browsers: Vec<_> = (0..12).map(|_| fresh_browser()).collect();
    let tasks: Vec<_> = browsers
        .iter()
        .map(|b| {
            let (b, base) = (b.clone(), base.clone());
            tokio::spawn(async move { sign_in(&b, &base).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("sign-in task");
    }
    run_cli(
        data,
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
        ],
        None,
    )
    .ok();
    server.kill();

    let store = Store::open(&db_path(data)).expect("open after the crash");
    let sessions: i64 = store
        .sql(|c| Ok(c.query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(sessions, 12, "every acknowledged sign-in survived");
    drop(store);

    let server = ChildServer::start_with(data, port, &[]);
    for b in &browsers {
        assert!(home_shows_alice(b, &base).await, "the session still works");
    }
    let clients = run_cli(data, &["client", "list", "--json"], None).json();
    assert_eq!(clients[0]["client_id"], "app", "{clients}");
    drop(server);
}
