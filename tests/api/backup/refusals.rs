//! What backup and restore refuse, each with one line and nothing changed.

use super::*;
use latchkey::store::rusqlite::Connection;

#[tokio::test]
async fn restore_is_refused_while_a_server_runs_on_the_data_dir() {
    let app = spawn_oidc_app().await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("backup.db");
    backup(app.data_path(), &file);
    let before = listing(app.data_path());

    let err = app
        .cli(&["restore", file.to_str().unwrap()], None)
        .one_line_error()
        .to_owned();

    assert!(
        err.contains("a latchkey server is running on") && err.contains("stop it before restoring"),
        "{err}"
    );
    assert_eq!(listing(app.data_path()), before, "nothing moved");
    assert_eq!(
        app.cli(&["user", "list", "--json"], None).json()[0]["username"],
        "alice"
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_is_refused_with_one_line() {
    let app = spawn_app().await;

    let out = app.cli(&["serve", "--bind", "127.0.0.1:0"], None);

    let err = out.one_line_error();
    assert!(
        err.contains("another latchkey server is running on this data dir")
            && err.contains("latchkey.lock"),
        "{err}"
    );
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the first one runs on"
    );
}

/// A file of each kind restore must refuse, and the words its refusal uses.
fn bad_files(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a database at all\n".repeat(200)).unwrap();

    let other = dir.join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();

    let src = data_dir_with_users(&["carol"]);
    let future = dir.join("future.db");
    backup(src.path(), &future);
    Connection::open(&future)
        .unwrap()
        .execute_batch("PRAGMA user_version = 999")
        .unwrap();

    // A real backup with pages in the middle overwritten.
    let damaged = dir.join("damaged.db");
    backup(src.path(), &damaged);
    let mut bytes = std::fs::read(&damaged).unwrap();
    let len = bytes.len();
    for b in &mut bytes[len / 2..len / 2 + 8192] {
        *b = 0x5a;
    }
    std::fs::write(&damaged, bytes).unwrap();

    vec![
        (text, "is not a SQLite database"),
        (other, "is a SQLite database but not latchkey's"),
        (
            future,
            "has schema version 999, newer than this latchkey supports",
        ),
        (damaged, "damaged"),
        (dir.join("missing.db"), "is not a file"),
    ]
}

#[test]
fn restore_refuses_what_is_not_a_sound_latchkey_database_and_leaves_the_current_one_untouched() {
    let dir = data_dir_with_users(&["alice"]);
    let db = db_path(dir.path());
    let files = tempfile::tempdir().unwrap();
    let before = std::fs::read(&db).unwrap();
    let names = listing(dir.path());

    for (file, words) in bad_files(files.path()) {
        let out = run_cli(dir.path(), &["restore", file.to_str().unwrap()], None);

        let err = out.one_line_error();
        assert!(err.contains(words), "{}: {err}", file.display());
        assert!(
            err.contains(&file.display().to_string()),
            "the refusal names the file given: {err}"
        );
        assert_eq!(std::fs::read(&db).unwrap(), before, "{}", file.display());
        let mut now = listing(dir.path());
        now.retain(|n| n != "latchkey.lock");
        assert_eq!(now, names, "{}: nothing left behind", file.display());
    }
    assert_eq!(usernames(&db), ["alice"]);
}

#[test]
fn backup_refuses_to_replace_a_file_without_force_and_needs_a_database() {
    let dir = data_dir_with_users(&["alice"]);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("b.db");
    std::fs::write(&file, "precious").unwrap();

    let err = run_cli(dir.path(), &["backup", file.to_str().unwrap()], None)
        .one_line_error()
        .to_owned();
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");

    let text = run_cli(
        dir.path(),
        &["backup", file.to_str().unwrap(), "--force"],
        None,
    )
    .ok()
    .to_owned();
    assert!(
        text.contains("schema version")
            && text.contains("1 users")
            && text.contains("integrity check ok"),
        "{text}"
    );
    assert_eq!(usernames(&file), ["alice"]);
    assert_eq!(mode(&file), 0o600);

    let empty = tempfile::tempdir().unwrap();
    let err = run_cli(
        empty.path(),
        &["backup", out.path().join("c.db").to_str().unwrap()],
        None,
    )
    .one_line_error()
    .to_owned();
    assert!(err.contains("no database at"), "{err}");
    assert!(listing(empty.path()).is_empty(), "no database was created");

    let nowhere = out.path().join("no-such-dir").join("d.db");
    let err = run_cli(dir.path(), &["backup", nowhere.to_str().unwrap()], None)
        .one_line_error()
        .to_owned();
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn restore_refuses_a_wal_left_without_its_database() {
    let src = data_dir_with_users(&["alice"]);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("backup.db");
    backup(src.path(), &file);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("latchkey.db-wal"), b"stale frames").unwrap();

    let err = run_cli(dir.path(), &["restore", file.to_str().unwrap()], None)
        .one_line_error()
        .to_owned();

    assert!(
        err.contains("latchkey.db-wal exists without its database"),
        "{err}"
    );
    assert!(!db_path(dir.path()).exists());
}
