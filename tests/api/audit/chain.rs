//! The audit log's hash chain: `latchkey audit verify` against an intact, edited, shortened,
//! extended and pruned log, and `latchkey audit --json-lines`.

use crate::support::*;
use latchkey::clock::Clock;
use latchkey::oidc::audit_chain::{hex, link, seal_pending};
use latchkey::oidc::maintenance::run_once;
use latchkey::store::audit_chain::{Cell, ChainRow};
use latchkey::store::{StoreError, audit};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DAY: i64 = 86_400;

/// `n` events at `at`, kinds `e1`, `e2`, ... (numbered from `first`).
fn add_events(app: &TestApp, first: usize, n: usize, at: i64) {
    app.store
        .write(|c| {
            for i in first..first + n {
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at,
                        kind: format!("e{i}"),
                        actor: Some("tester".into()),
                        detail: Some(format!("event {i}")),
                        ..Default::default()
                    },
                )?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

/// A server with ten sealed audit events, ids 1 to 10 at positions 1 to 10.
async fn app_with_ten_sealed_events() -> TestApp {
    let app = spawn_app().await;
    add_events(&app, 1, 10, latchkey::clock::SystemClock.now());
    seal_pending(&app.store).unwrap();
    assert_eq!(rows(&app, "SELECT id FROM audit_events WHERE seq = id"), 10);
    app
}

/// Raw SQL through the server's own store (as an attacker with the file would).
fn sql(app: &TestApp, stmt: &str) {
    app.store
        .sql_write(|c| {
            c.execute_batch(stmt)?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

fn rows(app: &TestApp, query: &str) -> i64 {
    app.store
        .sql(|c| {
            let mut st = c.prepare(query)?;
            Ok(st.query_map([], |_| Ok(()))?.count() as i64)
        })
        .unwrap()
}

/// The stored hash at a chain position.
fn hash_at(app: &TestApp, seq: i64) -> Vec<u8> {
    app.store
        .sql(|c| {
            Ok(
                c.query_row("SELECT hash FROM audit_events WHERE seq = ?1", [seq], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap()
}

fn verify(app: &TestApp, extra: &[&str]) -> CliOutput {
    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(extra);
    app.cli(&args, None)
}

/// `audit verify --json` that exited 1: the report on stdout, one line on stderr.
fn broken(app: &TestApp, extra: &[&str]) -> (serde_json::Value, String) {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let out = verify(app, &args);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = out.one_line_error().to_owned();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("a JSON report");
    assert_eq!(report["intact"], false, "{report}");
    (report["problem"].clone(), err)
}

#[tokio::test]
async fn verify_passes_on_an_intact_chain_and_prints_its_head_and_row_count() {
    let app = app_with_ten_sealed_events().await;
    let head = hex(&hash_at(&app, 10));

    let out = verify(&app, &[]);
    let text = out.ok();
    assert!(
        text.contains("audit chain intact: 10 sealed rows"),
        "{text}"
    );
    assert!(
        text.contains(&format!("head {head} (position 10, row 10)")),
        "{text}"
    );

    let json = verify(&app, &["--json", "--head", &head.to_uppercase()]).json();
    assert_eq!(json["intact"], true);
    assert_eq!(json["rows"], 10);
    assert_eq!(json["head"], head.as_str());
    assert_eq!(json["unsealed"], 0);
    assert_eq!(json["recorded_head"]["found"], true);
    assert_eq!(json["recorded_head"]["seq"], 10);
    // An older head recorded earlier is still in the chain too.
    let older = hex(&hash_at(&app, 4));
    verify(&app, &["--head", &older]).ok();
}

#[tokio::test]
async fn verify_names_an_edited_row() {
    let app = app_with_ten_sealed_events().await;
    sql(
        &app,
        "UPDATE audit_events SET detail = 'nothing to see' WHERE id = 5",
    );

    let (problem, err) = broken(&app, &[]);

    assert_eq!(problem["kind"], "changed", "{problem}");
    assert_eq!(problem["id"], 5);
    assert!(err.contains("row 5 (position 5) was changed"), "{err}");
}

#[tokio::test]
async fn verify_names_an_edit_that_only_changes_a_values_type() {
    let app = app_with_ten_sealed_events().await;
    // Same bytes, stored as a blob instead of text: still an edit.
    sql(
        &app,
        "UPDATE audit_events SET actor = CAST(actor AS BLOB) WHERE id = 3",
    );

    let (problem, _) = broken(&app, &[]);

    assert_eq!(
        (problem["kind"].as_str(), problem["id"].as_i64()),
        (Some("changed"), Some(3))
    );
}

#[tokio::test]
async fn verify_names_the_place_a_row_was_removed_from_the_middle() {
    let app = app_with_ten_sealed_events().await;
    sql(&app, "DELETE FROM audit_events WHERE id = 5");

    let (problem, err) = broken(&app, &[]);

    assert_eq!(problem["kind"], "removed", "{problem}");
    assert_eq!(problem["id"], 6, "the row after the gap is named");
    assert!(
        err.contains("position 5 is missing before it: a row was removed"),
        "{err}"
    );
}

#[tokio::test]
async fn verify_names_an_inserted_row_whether_or_not_its_hash_was_computed_for_its_place() {
    for computed in [true, false] {
        let app = app_with_ten_sealed_events().await;
        // Make room at position 5 (as an attacker must: positions are unique), then insert.
        sql(
            &app,
            "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 5;
             UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000;",
        );
        let forged = ChainRow {
            id: 1000,
            seq: Some(5),
            hash: None,
            cells: [
                Cell::Int(latchkey::clock::SystemClock.now()),
                Cell::Text(b"login.succeeded".to_vec()),
                Cell::Text(b"mallory".to_vec()),
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
            ],
        };
        let hash = if computed {
            link(&hash_at(&app, 4), &forged, 5).to_vec()
        } else {
            vec![0xab; 32]
        };
        app.store
            .sql_write(|c| {
                c.execute(
                    "INSERT INTO audit_events (id, at, kind, actor, seq, hash) \
                     VALUES (1000, ?1, 'login.succeeded', 'mallory', 5, ?2)",
                    latchkey::store::rusqlite::params![
                        match forged.cells[0] {
                            Cell::Int(at) => at,
                            _ => unreachable!(),
                        },
                        hash
                    ],
                )?;
                Ok::<_, StoreError>(())
            })
            .unwrap();

        let (problem, err) = broken(&app, &[]);

        assert_eq!(
            problem["kind"], "inserted",
            "computed={computed}: {problem}"
        );
        assert_eq!(problem["id"], 1000, "computed={computed}");
        assert!(err.contains("row 1000 (position 5) was inserted"), "{err}");
    }
}

#[tokio::test]
async fn verify_names_an_unsealed_row_inserted_below_the_sealed_ones() {
    let app = app_with_ten_sealed_events().await;
    sql(
        &app,
        "INSERT INTO audit_events (id, at, kind, actor) VALUES (0, 1, 'login.succeeded', 'mallory')",
    );
    // The server's sealer never takes it: it seals rows above the newest sealed one.
    seal_pending(&app.store).unwrap();

    let (problem, err) = broken(&app, &[]);

    assert_eq!(problem["kind"], "inserted", "{problem}");
    assert_eq!(problem["id"], 0);
    assert!(
        err.contains("row 0 was inserted: it is not sealed, but row 10 written after it is"),
        "{err}"
    );
}

#[tokio::test]
async fn a_cut_off_tail_is_caught_by_the_chain_head_and_by_a_head_recorded_elsewhere() {
    let app = app_with_ten_sealed_events().await;
    let recorded = verify(&app, &["--json"]).json()["head"]
        .as_str()
        .unwrap()
        .to_owned();

    sql(&app, "DELETE FROM audit_events WHERE seq > 7");
    let (problem, err) = broken(&app, &[]);
    assert_eq!(problem["kind"], "cut_off", "{problem}");
    assert!(
        err.contains("the newest sealed rows were removed: the chain ends at position 7, latchkey had sealed up to position 10"),
        "{err}"
    );

    // The attacker moves the stored head back as well: only the recorded head tells.
    let seven = hex(&hash_at(&app, 7));
    sql(
        &app,
        &format!("UPDATE audit_chain SET head_seq = 7, head_hash = X'{seven}'"),
    );
    verify(&app, &[]).ok();
    let (problem, err) = broken(&app, &["--head", &recorded]);
    assert_eq!(problem["kind"], "head_not_found", "{problem}");
    assert!(
        err.contains(&format!("the recorded head {recorded} is not in the chain")),
        "{err}"
    );
}

#[tokio::test]
async fn rows_sealed_outside_latchkey_after_the_head_are_named() {
    let app = app_with_ten_sealed_events().await;
    sql(&app, "UPDATE audit_chain SET head_seq = 8");

    let (problem, _) = broken(&app, &[]);

    assert_eq!(problem["kind"], "inserted", "{problem}");
    assert_eq!(problem["id"], 9);
}

#[tokio::test]
async fn the_chain_verifies_after_pruning_and_pruning_keeps_a_row_that_does_not_verify() {
    let clock = clock_now();
    let app = spawn_app_with_clock(|s| s.audit_retention_days = 30, Arc::new(clock.clone())).await;
    let now = clock.now();
    add_events(&app, 1, 2_500, now - 400 * DAY);
    add_events(&app, 2_501, 5, now - DAY);
    let before = verify(&app, &["--json"]).json();
    assert_eq!(
        before["rows"].as_u64().unwrap() + before["unsealed"].as_u64().unwrap(),
        2_505
    );

    run_once(&app.store, &app.settings, now).expect("maintenance");

    let after = verify(&app, &["--json"]).json();
    assert_eq!(after["rows"], 5, "{after}");
    assert_eq!(after["checkpoint"]["pruned_through_seq"], 2_500);
    assert_eq!(after["checkpoint"]["pruned_through_id"], 2_500);
    let text = verify(&app, &[]).ok().to_owned();
    assert!(text.contains("rows through 2500"), "{text}");

    // An edited row stops the pruning and stays, with everything after it.
    add_events(&app, 3_000, 3, now - 200 * DAY);
    add_events(&app, 3_003, 1, now);
    seal_pending(&app.store).unwrap();
    sql(
        &app,
        "UPDATE audit_events SET kind = 'edited' WHERE kind = 'e3001'",
    );
    let later = now + 100 * DAY; // every row is past the retention by then
    run_once(&app.store, &app.settings, later).expect("maintenance");
    let left: Vec<String> = app
        .store
        .read(|c| audit::list_audit_events(c, 100))
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| e.kind)
        .collect();
    assert_eq!(left, ["edited", "e3002", "e3003"]);
    let (problem, err) = broken(&app, &[]);
    assert_eq!(problem["kind"], "changed", "{problem}");
    assert!(
        err.contains("row 2507 (position 2507) was changed"),
        "{err}"
    );
}

#[tokio::test]
async fn rows_not_sealed_yet_are_reported_and_are_not_a_failure() {
    // No server: rows written by CLI commands wait for one.
    let dir = tempfile::tempdir().unwrap();
    run_cli(
        dir.path(),
        &[
            "user",
            "add",
            "bob",
            "--email",
            "b@example.com",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    )
    .ok();
    run_cli(dir.path(), &["user", "disable", "bob"], None).ok();

    let json = run_cli(dir.path(), &["audit", "verify", "--json"], None).json();
    assert_eq!(json["intact"], true);
    assert_eq!(json["rows"], 0);
    assert_eq!(json["unsealed"], 2);
    let text = run_cli(dir.path(), &["audit", "verify"], None)
        .ok()
        .to_owned();
    assert!(
        text.contains("2 rows not yet sealed (from row 1 on)"),
        "{text}"
    );
}

#[tokio::test]
async fn the_running_server_seals_new_rows_in_the_background() {
    let app = spawn_app().await;
    add_events(&app, 1, 3, latchkey::clock::SystemClock.now());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let json = verify(&app, &["--json"]).json();
        if json["unsealed"] == 0 {
            assert_eq!(json["rows"], 3, "{json}");
            break;
        }
        assert!(Instant::now() < deadline, "still unsealed: {json}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn verify_refuses_a_malformed_head_with_one_line() {
    let app = spawn_app().await;
    let err = verify(&app, &["--head", "not-a-hash"])
        .one_line_error()
        .to_owned();
    assert!(err.contains("--head"), "{err}");
}

#[tokio::test]
async fn json_lines_prints_the_same_events_as_json_one_object_a_line() {
    let app = app_with_ten_sealed_events().await;
    let array = app.cli(&["audit", "--json", "--limit", "4"], None).json();
    let out = app.cli(&["audit", "--json-lines", "--limit", "4"], None);
    let lines: Vec<serde_json::Value> = out
        .ok()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert_eq!(serde_json::Value::Array(lines.clone()), array);
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0]["id"], 10,
        "newest first, with the row id verify names"
    );
    assert_eq!(lines[0]["kind"], "e10");

    let err = app
        .cli(&["audit", "--json", "--json-lines"], None)
        .one_line_error()
        .to_owned();
    assert!(err.contains("choose one"), "{err}");
}
