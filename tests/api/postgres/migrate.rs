//! `latchkey migrate-store`: a store made through the CLI and a running server, copied to the
//! other backend, serves the same users, clients, tokens, admin keys and audit chain there.

use super::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;

/// What a store holds after [`populate`], to check on the copy.
struct Made {
    secret: String,
    refresh_token: String,
    admin_key: String,
}

/// Alice (a password, made with the CLI), the confidential client `app`, a group with alice in
/// it, an admin key, and a code flow done (a session, a refresh token, consent, audit rows).
async fn populate(app: &TestApp, db: Option<&str>) -> Made {
    let dir = app.data_path();
    add_user_on(dir, db, "alice", false);
    let secret = add_client(app, &ClientSpec::default()).expect("a confidential client");
    cli_on(dir, db, &["group", "add", "staff"], None).ok();
    cli_on(dir, db, &["group", "add-member", "staff", "alice"], None).ok();
    let admin_key = cli_on(dir, db, &["admin-key", "create", "ci", "--json"], None).json()["key"]
        .as_str()
        .expect("the admin key")
        .to_owned();
    let t = tokens(
        app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    Made {
        secret,
        refresh_token: str_of(&t, "refresh_token").to_owned(),
        admin_key,
    }
}

fn table<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .expect("a table list")
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

/// The report's counts agree with themselves and hold what [`populate`] made.
fn assert_counts(report: &Value) {
    let mut total = 0;
    for t in report["tables"].as_array().expect("a table list") {
        assert_eq!(t["source"], t["target"], "{t}");
        total += t["target"].as_i64().expect("a count");
    }
    assert_eq!(report["rows"].as_i64(), Some(total), "{report}");
    assert_eq!(table(report, "users")["target"], 1, "alice");
    assert_eq!(table(report, "clients")["target"], 1, "app");
    assert_eq!(table(report, "groups")["target"], 1, "staff");
    assert_eq!(table(report, "group_members")["target"], 1);
    assert_eq!(table(report, "admin_keys")["target"], 1);
    for busy in ["sessions", "refresh_tokens", "audit_events", "signing_keys"] {
        assert!(
            table(report, busy)["target"].as_i64() > Some(0),
            "{busy}: {report}"
        );
    }
}

/// The copy's audit chain verifies to the head the source's did.
fn assert_same_chain(source: &Value, dir: &Path, db: Option<&str>) {
    assert_eq!(source["intact"], true, "{source}");
    let head = source["head"].as_str().expect("a head");
    // --head: the source's newest verified row is in the copy's chain, hash for hash (rows
    // sealed since only extend it).
    let copy = cli_on(
        dir,
        db,
        &["audit", "verify", "--head", head, "--json"],
        None,
    )
    .json();
    assert_eq!(copy["intact"], true, "{copy}");
    let all = |v: &Value| v["rows"].as_i64().unwrap() + v["unsealed"].as_i64().unwrap();
    assert_eq!(all(&copy), all(source), "{source} vs {copy}");
    assert!(copy["rows"].as_i64() >= source["rows"].as_i64(), "{copy}");
}

/// On the copy: alice signs in with her password, the old refresh token and the client secret
/// work at /token, the admin key works, the audit chain verifies, and a new user can be added
/// (fresh ids do not collide with copied ones).
async fn assert_serves(app: &TestApp, db: Option<&str>, made: &Made) {
    sign_in(app, "alice").await;
    let res = refresh(app, "app", &made.secret, &made.refresh_token, None).await;
    let t = token_ok(res).await;
    assert!(t["access_token"].is_string(), "{t}");
    tokens(
        app,
        "app",
        Some(&made.secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let res = reqwest::Client::new()
        .get(app.url("/admin/api/v1/users"))
        .bearer_auth(&made.admin_key)
        .send()
        .await
        .expect("GET /admin/api/v1/users");
    assert_eq!(res.status(), 200, "the admin key still works");
    let verified = cli_on(app.data_path(), db, &["audit", "verify", "--json"], None).json();
    assert_eq!(verified["intact"], true, "{verified}");
    let shown = cli_on(
        app.data_path(),
        db,
        &["group", "show", "staff", "--json"],
        None,
    )
    .ok()
    .to_owned();
    assert!(shown.contains("alice"), "{shown}");
    add_user_on(app.data_path(), db, "bob", false);
    sign_in(app, "bob").await;
    cli_on(
        app.data_path(),
        db,
        &[
            "client",
            "add",
            "second",
            "--redirect-uri",
            "https://second.example/cb",
        ],
        None,
    )
    .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_copied_to_postgresql_serves_the_same_users_clients_tokens_and_audit_chain()
{
    let app = spawn_on(tempfile::tempdir().unwrap(), None).await;
    let made = populate(&app, None).await;
    let dir = stop(app).await;
    let url = blank_database_url();
    let chain = cli_on(dir.path(), None, &["audit", "verify", "--json"], None).json();

    let report = cli_on(
        dir.path(),
        None,
        &["migrate-store", "--to", &url, "--json"],
        None,
    )
    .json();

    assert_counts(&report);
    assert_same_chain(&chain, dir.path(), Some(&url));
    assert!(
        report["from"].as_str().unwrap().starts_with("sqlite:"),
        "{report}"
    );
    let app = spawn_on(dir, Some(&url)).await;
    assert_serves(&app, Some(&url), &made).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_store_copied_to_a_new_sqlite_file_serves_the_same_users_clients_tokens_and_audit_chain()
 {
    let url = pg::new_database_url();
    let (server, app) = serve_on_postgres(&url);
    let made = populate(&app, Some(&url)).await;
    let dir = stop_process(server, app);
    let file = db_path(dir.path());
    assert!(!file.exists(), "a PostgreSQL node writes no SQLite file");

    let chain = cli_on(dir.path(), Some(&url), &["audit", "verify", "--json"], None).json();
    let to = format!("sqlite:{}", file.display());
    let report = cli_on(
        dir.path(),
        Some(&url),
        &["migrate-store", "--to", &to, "--json"],
        None,
    )
    .json();

    assert_counts(&report);
    assert_eq!(report["to"], to.as_str());
    assert_same_chain(&chain, dir.path(), None);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the new SQLite file is its owner's only");
    let app = spawn_on(dir, None).await;
    assert_serves(&app, None, &made).await;
}
