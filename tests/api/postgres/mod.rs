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

/// Stop a server and hand back its data dir, with every connection it held closed (on
/// PostgreSQL a connection of a stopped server still counts as a running server).
async fn stop(mut app: TestApp) -> TempDir {
    app.stop().await;
    let TestApp {
        data_dir, store, ..
    } = app;
    drop(store);
    data_dir
}

/// Raw SQL on a PostgreSQL database of the test cluster.
fn pg_sql(url: &str, sql: &str) {
    latchkey::store::postgres::conn::parse_url(url)
        .expect("a test database URL")
        .connect()
        .expect("connect to the test database")
        .batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
