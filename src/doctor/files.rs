//! Checks on the data dir and the database files: existence and permissions; opening the
//! database read-only for the database checks of `latchkey doctor`.

use super::text::sh;
use super::{Report, Severity};
use crate::config::Settings;
use crate::store::{self};
use std::path::{Path, PathBuf};

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}

const DATA_DIR_FIX: &str = "check data_dir (--data-dir, LATCHKEY_DATA_DIR or latchkey.toml): it must name the directory the server uses; `latchkey serve` creates it on first start";

/// Existence and permissions; the database's path when there is one to look at.
pub(super) fn check_data_dir(s: &Settings, r: &mut Report) -> Option<PathBuf> {
    let dir = absolute(&s.data_dir);
    let db = dir.join("latchkey.db");
    match std::fs::metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            r.critical(
                "data-dir-missing",
                format!(
                    "data dir {} does not exist: latchkey has not run with this data_dir, or data_dir points to the wrong place",
                    dir.display()
                ),
                DATA_DIR_FIX,
            );
            return None;
        }
        Err(e) => {
            r.critical(
                "data-dir-unreadable",
                format!("cannot inspect data dir {}: {e}", dir.display()),
                "run `latchkey doctor` as the user latchkey runs as",
            );
            return None;
        }
        Ok(m) if !m.is_dir() => {
            r.critical(
                "data-dir-missing",
                format!("data dir {} is not a directory", dir.display()),
                DATA_DIR_FIX,
            );
            return None;
        }
        Ok(_) => {}
    }
    #[cfg(unix)]
    check_permissions(&dir, &db, r);
    if s.database.is_postgres() {
        // The data lives in PostgreSQL (see `doctor::postgres`); the data dir holds the secret key.
        return None;
    }
    match std::fs::metadata(&db) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            r.critical(
                "database-missing",
                format!(
                    "there is no database at {}: latchkey has not run with this data_dir, or data_dir points to the wrong place",
                    db.display()
                ),
                DATA_DIR_FIX,
            );
            return None;
        }
        Err(e) => {
            r.critical(
                "database-unreadable",
                format!("cannot inspect {}: {e}", db.display()),
                "run `latchkey doctor` as the user latchkey runs as",
            );
            return None;
        }
        Ok(_) => {}
    }
    Some(db)
}

/// A read-only connection to the database at `db`, or a finding that says why not.
pub(super) fn open_database(db: &Path, r: &mut Report) -> Option<store::ReadOnly> {
    match store::open_read_only(db) {
        Ok(c) => Some(c),
        Err(e) => {
            r.critical(
                "database-unreadable",
                format!("cannot open {} read-only: {e}", db.display()),
                "run `latchkey doctor` as the user latchkey runs as; if the file is damaged, restore a backup",
            );
            None
        }
    }
}

#[cfg(unix)]
fn check_permissions(dir: &Path, db: &Path, r: &mut Report) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode_of = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.permissions().mode() & 0o777, m.gid()))
    };
    let Some((dir_mode, dir_gid)) = mode_of(dir) else {
        return;
    };
    // The first directory on the way (the data dir or one of its parents) that other users cannot
    // enter: while there is one, a world-readable file inside is out of their reach.
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    let blocker = canonical
        .ancestors()
        .find(|a| mode_of(a).is_some_and(|(m, _)| m & 0o001 == 0))
        .map(Path::to_owned);
    let reach = |what: &str| match &blocker {
        None => format!("every local user can {what}"),
        Some(b) => format!(
            "only the mode of {} ({:04o}) keeps other local users from being able to {what}; a looser directory, or a copy of the file, exposes it",
            b.display(),
            mode_of(b).map_or(0, |(m, _)| m)
        ),
    };
    let others = if blocker.is_none() {
        Severity::Critical
    } else {
        Severity::Warning
    };

    if dir_mode & 0o002 != 0 {
        r.add(
            others,
            "permissions",
            format!(
                "data dir {} is writable by every user (mode {dir_mode:04o}): {}",
                dir.display(),
                reach("replace latchkey.db, and with it the users, clients and signing keys")
            ),
            format!("chmod 700 {}", sh(dir)),
        );
    } else if dir_mode & 0o005 != 0 {
        r.warning(
            "permissions",
            format!(
                "data dir {} is open to every user (mode {dir_mode:04o}): other users can list it and open any file inside whose own mode allows (a backup or copy made there, for instance)",
                dir.display()
            ),
            format!("chmod 700 {}", sh(dir)),
        );
    } else if dir_mode & 0o070 != 0 {
        r.warning(
            "permissions",
            format!(
                "data dir {} is open to its group (gid {dir_gid}, mode {dir_mode:04o}): members can reach the database",
                dir.display()
            ),
            format!("chmod 700 {}", sh(dir)),
        );
    }

    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        let Some((mode, gid)) = mode_of(&path) else {
            continue;
        };
        let shown = path.display();
        let contents = if suffix.is_empty() {
            "it holds the private signing keys, password hashes and client secret hashes"
        } else {
            "it holds recent changes to the database, private keys included"
        };
        if mode & 0o006 != 0 {
            let verb = if mode & 0o002 != 0 {
                "read and rewrite it"
            } else {
                "read it"
            };
            r.add(
                others,
                "permissions",
                format!(
                    "{shown} is {} by every user (mode {mode:04o}) and {contents}: {}",
                    if mode & 0o002 != 0 {
                        "writable"
                    } else {
                        "readable"
                    },
                    reach(verb)
                ),
                format!("chmod 600 {}", sh(&path)),
            );
        } else if mode & 0o060 != 0 {
            let group_can_enter = dir_mode & 0o010 != 0;
            r.warning(
                "permissions",
                format!(
                    "{shown} is {} by its group (gid {gid}, mode {mode:04o}) and {contents}{}",
                    if mode & 0o020 != 0 {
                        "writable"
                    } else {
                        "readable"
                    },
                    if group_can_enter {
                        ""
                    } else {
                        " (the data dir keeps the group out for now)"
                    }
                ),
                format!("chmod 600 {}", sh(&path)),
            );
        }
    }
}
