//! `database_url` and `database_password_file` as every command reads them, and `backup` /
//! `restore` on PostgreSQL.

use super::*;
use std::os::unix::fs::PermissionsExt;

const COMMANDS: [&[&str]; 3] = [
    &["serve", "--bind", "127.0.0.1:0"],
    &["user", "list"],
    &["doctor"],
];

#[test]
fn a_database_url_that_is_not_postgresql_stops_every_command_in_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "nonsense",
        "mysql://root@127.0.0.1/latchkey",
        "postgres://latchkey@127.0.0.1/latchkey?sslmode=bogus",
    ] {
        for args in COMMANDS {
            let out = cli_on(dir.path(), Some(url), args, None);
            let err = out.one_line_error();
            assert!(err.contains("database_url"), "{args:?} {url}: {err}");
        }
    }
    assert!(
        !db_path(dir.path()).exists(),
        "no SQLite file was made instead"
    );
}

#[test]
fn a_refused_database_url_never_shows_its_password() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "mysql://root:hunter2@127.0.0.1/latchkey",
        "postgres://latchkey:hunter2@127.0.0.1/latchkey?sslmode=bogus",
    ] {
        for args in COMMANDS {
            let out = cli_on(dir.path(), Some(url), args, None);
            let err = out.one_line_error();
            assert!(err.contains("database_url"), "{args:?} {url}: {err}");
            assert!(!err.contains("hunter2"), "{args:?}: {err}");
        }
    }
}

fn password_file(dir: &Path, mode: u32) -> std::path::PathBuf {
    let file = dir.join("db-password");
    std::fs::write(&file, "hunter2\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    file
}

fn with_password_file(dir: &Path, url: &str, file: &Path, args: &[&str]) -> CliOutput {
    let mut cmd = cmd_on(dir, Some(url));
    cmd.env("LATCHKEY_DATABASE_PASSWORD_FILE", file).args(args);
    run(cmd, None)
}

#[test]
fn a_database_password_file_open_to_every_user_is_refused_naming_it() {
    let url = pg::new_database_url();
    let dir = tempfile::tempdir().unwrap();
    let file = password_file(dir.path(), 0o644);

    for args in [&["user", "list"][..], &["serve", "--bind", "127.0.0.1:0"]] {
        let out = with_password_file(dir.path(), &url, &file, args);
        let err = out.one_line_error();
        assert!(err.contains("database_password_file"), "{args:?}: {err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}

#[test]
fn a_database_password_file_is_read_and_a_missing_one_is_refused_naming_it() {
    // The test cluster trusts local connections, so the password itself is not checked there:
    // this shows the file is read (a missing one stops the command) and an owner-only one is
    // accepted.
    let url = pg::new_database_url();
    let dir = tempfile::tempdir().unwrap();
    let file = password_file(dir.path(), 0o600);

    let listed = with_password_file(dir.path(), &url, &file, &["user", "list", "--json"]).json();
    assert_eq!(listed, serde_json::json!([]));

    let missing = dir.path().join("no-such-file");
    let out = with_password_file(dir.path(), &url, &missing, &["user", "list"]);
    let err = out.one_line_error();
    assert!(err.contains("database_password_file"), "{err}");
}

#[test]
fn backup_and_restore_on_postgresql_point_to_pg_dump_and_pg_restore_and_write_nothing() {
    let url = pg::new_database_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.db");

    let out = cli_on(
        dir.path(),
        Some(&url),
        &["backup", file.to_str().unwrap()],
        None,
    );
    let err = out.one_line_error();
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!file.exists(), "no backup file");

    std::fs::write(&file, b"not a backup").unwrap();
    let out = cli_on(
        dir.path(),
        Some(&url),
        &["restore", file.to_str().unwrap()],
        None,
    );
    let err = out.one_line_error();
    assert!(err.contains("pg_restore"), "{err}");
    assert!(!db_path(dir.path()).exists(), "no SQLite file put in place");
}
