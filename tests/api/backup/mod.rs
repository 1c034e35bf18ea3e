//! `latchkey backup` and `latchkey restore`, and the data dir lock that `serve` holds.

mod refusals;
mod round_trip;

use crate::support::*;
use std::path::{Path, PathBuf};

/// The names in a directory, sorted (to show that a refused command left nothing behind).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Permission bits of a file.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A data dir, no server, with users made by the CLI.
pub fn data_dir_with_users(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in names {
        add_user_cli(dir.path(), name);
    }
    dir
}

/// The usernames in a database file, read with plain SQLite.
pub fn usernames(db: &Path) -> Vec<String> {
    let c = latchkey::store::rusqlite::Connection::open(db).unwrap();
    let mut st = c
        .prepare("SELECT username FROM users ORDER BY username")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// `latchkey backup FILE --json` on a data dir; returns the report.
pub fn backup(dir: &Path, file: &Path) -> serde_json::Value {
    run_cli(dir, &["backup", file.to_str().unwrap(), "--json"], None).json()
}
