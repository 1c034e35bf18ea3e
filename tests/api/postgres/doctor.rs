//! `latchkey doctor` on a PostgreSQL store: the connection and the schema version.

use super::*;
use serde_json::Value;

fn doctor_on(dir: &Path, url: &str) -> (i32, Vec<Value>) {
    let out = cli_on(dir, Some(url), &["doctor", "--json"], None);
    let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json must print a JSON array ({e})\nstdout: {}\nstderr: {}",
            out.stdout, out.stderr
        )
    });
    (out.status.code().expect("doctor exits normally"), findings)
}

fn of<'a>(findings: &'a [Value], check: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["check"] == check).collect()
}

fn database_criticals(findings: &[Value]) -> Vec<&Value> {
    findings
        .iter()
        .filter(|f| {
            f["severity"] == "critical"
                && (f["check"].as_str().unwrap_or("").starts_with("database")
                    || f["check"] == "schema-version")
        })
        .collect()
}

/// A PostgreSQL data dir a server started on once (keys made), and the database's URL.
async fn started_once() -> (TempDir, String) {
    let url = pg::new_database_url();
    let app = spawn_on(tempfile::tempdir().unwrap(), Some(&url)).await;
    add_user_on(app.data_path(), Some(&url), "root", true);
    (stop(app).await, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_finds_nothing_wrong_with_a_reachable_postgresql_database() {
    let (dir, url) = started_once().await;

    let (code, findings) = doctor_on(dir.path(), &url);

    assert!(database_criticals(&findings).is_empty(), "{findings:#?}");
    assert!(of(&findings, "schema-version").is_empty(), "{findings:#?}");
    assert!(
        of(&findings, "database-tls-off").is_empty(),
        "a Unix socket is local"
    );
    assert_ne!(code, 2, "{findings:#?}");
}

#[test]
fn doctor_reports_an_unreachable_database_as_critical_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "postgres://latchkey:hunter2@127.0.0.1:{}/latchkey?sslmode=disable",
        free_port()
    );

    let (code, findings) = doctor_on(dir.path(), &url);

    let found = of(&findings, "database-unreachable");
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0]["severity"], "critical");
    assert!(!found[0].to_string().contains("hunter2"), "{}", found[0]);
    assert_eq!(code, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_additive_schema_is_an_info_and_the_node_still_starts() {
    let (dir, url) = started_once().await;
    pg_sql(&url, "UPDATE latchkey_schema SET version = version + 1");

    let (code, findings) = doctor_on(dir.path(), &url);

    let found = of(&findings, "schema-version");
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0]["severity"], "info");
    assert!(
        found[0]["message"].as_str().unwrap().contains("additive"),
        "{}",
        found[0]
    );
    assert!(database_criticals(&findings).is_empty(), "{findings:#?}");
    assert_ne!(code, 2);
    let app = spawn_on(dir, Some(&url)).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_breaking_schema_is_critical_and_serve_refuses_to_start_in_one_line() {
    let (dir, url) = started_once().await;
    pg_sql(
        &url,
        "UPDATE latchkey_schema SET version = version + 1, compatible_from = version + 1",
    );

    let (code, findings) = doctor_on(dir.path(), &url);

    let found = of(&findings, "schema-version");
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0]["severity"], "critical");
    assert_eq!(code, 2);
    let out = cli_on(
        dir.path(),
        Some(&url),
        &["serve", "--bind", "127.0.0.1:0"],
        None,
    );
    // `serve` logs at info level (here PostgreSQL's notices too): the refusal is its one
    // `error:` line.
    assert!(!out.status.success(), "serve started: {}", out.stderr);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(errors[0].contains("newer"), "{}", errors[0]);
}

/// `database-tls-off` needs a database on another host, which the test cluster is not: the
/// rule that decides "another host" is checked here instead.
#[test]
fn only_a_database_off_this_machine_counts_as_remote_for_the_tls_warning() {
    use latchkey::store::postgres::conn::parse_url;
    for (url, remote) in [
        ("postgres://u@127.0.0.1/db", false),
        ("postgres://u@localhost:5432/db", false),
        ("postgres://u@[::1]:5432/db", false),
        ("postgres://u@%2Fvar%2Frun%2Fpostgresql/db", false),
        ("postgres://u@db.internal/db", true),
        ("postgres://u@10.0.0.5:5432/db?sslmode=require", true),
    ] {
        assert_eq!(parse_url(url).unwrap().is_remote(), remote, "{url}");
    }
}
