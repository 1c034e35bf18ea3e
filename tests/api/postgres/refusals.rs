//! `latchkey migrate-store` refuses, in one line and before writing anything, what it cannot
//! copy safely; no error repeats a password from a URL.

use super::*;

/// A SQLite data dir with one user (the store made by the CLI).
fn sqlite_dir_with_a_user() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    add_user_on(dir.path(), None, "alice", false);
    dir
}

fn migrate(dir: &Path, db: Option<&str>, to: &str) -> CliOutput {
    cli_on(dir, db, &["migrate-store", "--to", to], None)
}

fn users_in(url: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    cli_on(dir.path(), Some(url), &["user", "list", "--json"], None)
        .json()
        .as_array()
        .expect("a list")
        .len()
}

#[test]
fn a_target_that_holds_data_is_refused_and_left_as_it_was() {
    let dir = sqlite_dir_with_a_user();
    let url = pg::new_database_url();
    let other = tempfile::tempdir().unwrap();
    add_user_on(other.path(), Some(&url), "zed", false);

    let out = migrate(dir.path(), None, &url);

    let err = out.one_line_error();
    assert!(err.contains("not empty"), "{err}");
    assert!(err.contains("users"), "names the table: {err}");
    assert_eq!(users_in(&url), 1, "only zed, nothing copied");
}

#[test]
fn a_target_of_the_same_kind_as_the_store_is_refused() {
    let dir = sqlite_dir_with_a_user();
    let file = dir.path().join("copy.db");
    let out = migrate(dir.path(), None, &format!("sqlite:{}", file.display()));
    let err = out.one_line_error();
    assert!(err.contains("SQLite to PostgreSQL"), "{err}");
    assert!(!file.exists(), "nothing written");

    let url = pg::new_database_url();
    let other = pg::new_database_url();
    let out = migrate(tempfile::tempdir().unwrap().path(), Some(&url), &other);
    let err = out.one_line_error();
    assert!(err.contains("SQLite to PostgreSQL"), "{err}");
}

#[test]
fn a_sqlite_target_that_exists_is_refused_and_not_touched() {
    let url = pg::new_database_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("there.db");
    std::fs::write(&file, b"keep me").unwrap();

    let out = migrate(
        dir.path(),
        Some(&url),
        &format!("sqlite:{}", file.display()),
    );

    let err = out.one_line_error();
    assert!(err.contains("exists"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_is_refused_while_a_server_runs_on_the_data_dir() {
    let app = spawn_on(tempfile::tempdir().unwrap(), None).await;
    let url = pg::new_database_url();

    let out = migrate(app.data_path(), None, &url);

    let err = out.one_line_error();
    assert!(err.contains("server is running"), "{err}");
    assert_eq!(users_in(&url), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_from_postgresql_is_refused_while_a_server_on_another_machine_uses_the_database() {
    let url = pg::new_database_url();
    let _node = spawn_on(tempfile::tempdir().unwrap(), Some(&url)).await;
    let here = tempfile::tempdir().unwrap();
    let file = here.path().join("latchkey.db");

    let out = migrate(
        here.path(),
        Some(&url),
        &format!("sqlite:{}", file.display()),
    );

    let err = out.one_line_error();
    assert!(err.contains("connected to"), "{err}");
    assert!(!file.exists(), "nothing written");
}

#[test]
fn an_unusable_url_is_refused_in_one_line_that_never_shows_its_password() {
    let dir = sqlite_dir_with_a_user();
    for (to, says) in [
        ("mysql://root:hunter2@127.0.0.1/latchkey", "scheme"),
        (
            "postgres://latchkey:hunter2@127.0.0.1:5432",
            "names no database",
        ),
        (
            "postgres://latchkey:hunter2@127.0.0.1:5432/",
            "names no database",
        ),
        (
            "postgres://latchkey:hunter2@127.0.0.1:5432/latchkey?sslmode=bogus",
            "sslmode",
        ),
        ("not a url hunter2", "not a URL"),
    ] {
        let out = migrate(dir.path(), None, to);
        let err = out.one_line_error();
        assert!(err.contains("--to"), "{to}: {err}");
        assert!(err.contains(says), "{to}: {err}");
        assert!(!err.contains("hunter2"), "{to}: {err}");
    }
}

#[test]
fn an_unreachable_target_is_refused_without_showing_its_password() {
    let dir = sqlite_dir_with_a_user();
    let to = format!(
        "postgres://latchkey:hunter2@127.0.0.1:{}/latchkey?sslmode=disable",
        free_port()
    );

    let out = migrate(dir.path(), None, &to);

    let err = out.one_line_error();
    assert!(!err.contains("hunter2"), "{err}");
}
