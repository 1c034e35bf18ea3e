//! PostgreSQL from the operator's side (issue #19): `latchkey migrate-store` both ways with real
//! data, its refusals, `database_url`/`database_password_file` in the config, `backup`/`restore`
//! pointing at pg_dump/pg_restore, and `doctor` on a PostgreSQL store. Every test names its
//! store itself (the test cluster of `support::pg`), whatever `LATCHKEY_TEST_STORE` says.

mod config;
mod doctor;
mod migrate;
mod refusals;

use crate::support::*;
use latchkey::clock::SystemClock;
use latchkey::config::Database;
use latchkey::store::postgres::conn::parse_url;
use latchkey::store::{Durability, Location, Store};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use tempfile::TempDir;

/// `latchkey --data-dir DIR` on exactly this store: PostgreSQL at `db`, or SQLite in DIR.
fn cmd_on(dir: &Path, db: Option<&str>) -> Command {
    let mut cmd = latchkey_bare();
    cmd.arg("--data-dir").arg(dir);
    if let Some(url) = db {
        cmd.env("LATCHKEY_DATABASE_URL", url);
    }
    cmd
}

/// `latchkey --data-dir DIR ARGS` on exactly this store (see [`cmd_on`]).
fn cli_on(dir: &Path, db: Option<&str>, args: &[&str], stdin: Option<&str>) -> CliOutput {
    let mut cmd = cmd_on(dir, db);
    cmd.args(args);
    run(cmd, stdin)
}

/// `latchkey user add NAME --email NAME@example.com` (with `--admin` when `admin`), password
/// [`PASSWORD`], on exactly this store (see [`cmd_on`]).
fn add_user_on(dir: &Path, db: Option<&str>, name: &str, admin: bool) {
    let email = format!("{name}@example.com");
    let mut args = vec!["user", "add", name, "--email", &email, "--password-stdin"];
    if admin {
        args.push("--admin");
    }
    cli_on(dir, db, &args, Some(&format!("{PASSWORD}\n"))).ok();
}

/// An in-process server on `dir` with its issuer on its own port, on PostgreSQL at `db` or on
/// SQLite in `dir`.
async fn spawn_on(dir: TempDir, db: Option<&str>) -> TestApp {
    let port = free_port();
    let database = match db {
        Some(url) => latchkey::config::database::parse(url, "").expect("a test database URL"),
        None => Database::default(),
    };
    spawn_app_in(
        dir,
        move |s| {
            s.bind = format!("127.0.0.1:{port}").parse().expect("bind");
            s.issuer = format!("http://127.0.0.1:{port}");
            s.database = database;
        },
        Arc::new(SystemClock),
    )
    .await
}

/// Stop an in-process server and hand back its data dir (released: its lock is gone). On
/// PostgreSQL its pooled connections outlive it in this process: use [`serve_on_postgres`]
/// where a stopped server must look stopped to the database.
async fn stop(mut app: TestApp) -> TempDir {
    app.stop().await;
    let TestApp { data_dir, .. } = app;
    data_dir
}

/// `latchkey serve` as a process on PostgreSQL at `url` (issuer on its own port), and a
/// TestApp that talks to it; the TestApp's `store` is the test's own connection.
fn serve_on_postgres(url: &str) -> (ChildServer, TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ChildServer::start_with(dir.path(), port, &[("LATCHKEY_DATABASE_URL", url)]);
    let mut settings = test_settings(dir.path());
    settings.database = latchkey::config::database::parse(url, "").expect("a test database URL");
    let store = Store::open_at(
        &Location::Postgres(parse_url(url).expect("a test database URL")),
        Durability::Group,
    )
    .expect("open the test database");
    let app = TestApp {
        address: server.base(),
        port,
        data_dir: dir,
        client: fresh_browser(),
        store,
        settings,
        metrics_port: None,
        server: None,
    };
    (server, app)
}

/// Stop a [`serve_on_postgres`] server (SIGTERM, its connections close as it exits) and hand
/// back its data dir.
fn stop_process(mut server: ChildServer, app: TestApp) -> TempDir {
    server.signal("TERM");
    let status = server.wait_exit(std::time::Duration::from_secs(30));
    assert!(status.success(), "{status}: {}", server.log());
    let TestApp { data_dir, .. } = app;
    data_dir
}

/// Raw SQL on a PostgreSQL database of the test cluster.
fn pg_sql(url: &str, sql: &str) {
    parse_url(url)
        .expect("a test database URL")
        .connect()
        .expect("connect to the test database")
        .batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A database made with a plain `CREATE DATABASE` (no latchkey schema), as an operator makes
/// one for latchkey; its URL.
fn blank_database_url() -> String {
    let mut url = url::Url::parse(&pg::new_database_url()).expect("a test database URL");
    let tag: String = latchkey::crypto::random::token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    let name = format!("blank_{}", tag.to_lowercase());
    pg_sql(url.as_str(), &format!("CREATE DATABASE {name}"));
    url.set_path(&format!("/{name}"));
    url.to_string()
}
