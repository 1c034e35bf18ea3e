//! Whole-database copies for `latchkey backup` and `latchkey restore`: SQLite's online backup
//! API from one snapshot, a look at a copy before anyone trusts it, and settling the current
//! database into one file before a restore moves it aside.

use crate::store::migrate;
use r2d2_sqlite::rusqlite::backup::{Backup, StepResult};
use r2d2_sqlite::rusqlite::{self, Connection, ErrorCode, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Pages copied per step (4 MiB with SQLite's default page size).
const PAGES_PER_STEP: i32 = 1024;

/// What a copy holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DatabaseSummary {
    pub schema_version: i64,
    pub users: i64,
    pub clients: i64,
    pub refresh_tokens: i64,
    pub audit_events: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{} is not a SQLite database", .0.display())]
    NotADatabase(PathBuf),
    #[error("{} is damaged (PRAGMA integrity_check: {problems})", path.display())]
    Damaged { path: PathBuf, problems: String },
    #[error("{} is a SQLite database but not latchkey's (no {missing} table)", path.display())]
    NotLatchkey { path: PathBuf, missing: String },
    #[error("{} is in use by another process (a latchkey command?); try again when it has finished", .0.display())]
    Busy(PathBuf),
    #[error("cannot read {}: {err}", path.display())]
    Sqlite { path: PathBuf, err: rusqlite::Error },
}

impl CopyError {
    fn from_sqlite(path: &Path, err: rusqlite::Error) -> Self {
        let path = path.to_owned();
        match err.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => CopyError::NotADatabase(path),
            Some(ErrorCode::DatabaseCorrupt) => CopyError::Damaged {
                path,
                problems: err.to_string(),
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => CopyError::Busy(path),
            _ => CopyError::Sqlite { path, err },
        }
    }

    /// The file is no (sound) database at all, as opposed to busy or unreadable.
    pub fn is_unusable(&self) -> bool {
        matches!(
            self,
            CopyError::NotADatabase(_) | CopyError::Damaged { .. } | CopyError::NotLatchkey { .. }
        )
    }
}

/// Copy the database at `src` into `dst` (an empty file the caller created with the mode it
/// wants), from one snapshot of `src`: a read transaction stays open on the source for the
/// whole copy, so writers that commit meanwhile neither restart the copy nor appear in it, and
/// in WAL mode they are not blocked either (only the WAL's checkpoint waits). The copy ends in
/// rollback-journal mode: one self-contained file, no `-wal` beside it.
///
/// `Source::Live` is the data dir's database: opened for writing (never created, never
/// written), so that when it is the last connection it tidies the WAL away on close as any
/// other would. `Source::Foreign` (a file to restore) is opened read-only.
pub fn copy_database(src: &Path, source: Source, dst: &Path) -> Result<(), CopyError> {
    copy_with(src, source, dst, PAGES_PER_STEP, &mut || {})
}

/// Whose database [`copy_database`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Live,
    Foreign,
}

/// [`copy_database`], calling `between` after every step (tests write there).
pub fn copy_with(
    src: &Path,
    source: Source,
    dst: &Path,
    pages_per_step: i32,
    between: &mut dyn FnMut(),
) -> Result<(), CopyError> {
    let src_err = |e| CopyError::from_sqlite(src, e);
    let dst_err = |e| CopyError::from_sqlite(dst, e);
    let access = match source {
        Source::Live => OpenFlags::SQLITE_OPEN_READ_WRITE,
        Source::Foreign => OpenFlags::SQLITE_OPEN_READ_ONLY,
    };
    let source = Connection::open_with_flags(src, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(src_err)?;
    source
        .busy_timeout(Duration::from_secs(5))
        .map_err(src_err)?;
    // The snapshot: every step reads inside this one read transaction.
    source.execute_batch("BEGIN").map_err(src_err)?;
    source
        .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(src_err)?;
    let mut target = Connection::open(dst).map_err(dst_err)?;
    {
        let backup = Backup::new(&source, &mut target).map_err(dst_err)?;
        loop {
            match backup.step(pages_per_step).map_err(src_err)? {
                StepResult::Done => break,
                StepResult::More => between(),
                // Only another process writing `dst` could cause these; nobody should.
                StepResult::Busy | StepResult::Locked => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => between(),
            }
        }
    }
    source.execute_batch("COMMIT").map_err(src_err)?;
    let mode: String = target
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(dst_err)?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(CopyError::Busy(dst.to_owned()));
    }
    target.close().map_err(|(_, e)| dst_err(e))?;
    Ok(())
}

/// Check a copy made by [`copy_database`] (nobody else has it open): `PRAGMA integrity_check`,
/// latchkey's tables, and what it holds. Does not judge the schema version.
pub fn inspect_copy(path: &Path) -> Result<DatabaseSummary, CopyError> {
    let err = |e| CopyError::from_sqlite(path, e);
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    let problems: Vec<String> = {
        let mut st = c.prepare("PRAGMA integrity_check(20)").map_err(err)?;
        st.query_map([], |r| r.get::<_, String>(0))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?
    };
    if problems != ["ok"] {
        return Err(CopyError::Damaged {
            path: path.to_owned(),
            // One line: a row of integrity_check may hold several problems, a line each.
            problems: problems.join("; ").replace('\n', "; "),
        });
    }
    let schema_version = migrate::current_version(&c).map_err(|e| match e {
        crate::store::StoreError::Sqlite(e) => err(e),
        other => CopyError::Damaged {
            path: path.to_owned(),
            problems: other.to_string(),
        },
    })?;
    let mut counts = [0i64; 4];
    for (n, table) in counts
        .iter_mut()
        .zip(["users", "clients", "refresh_tokens", "audit_events"])
    {
        let exists: bool = c
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
                [table],
                |r| r.get(0),
            )
            .map_err(err)?;
        if !exists || schema_version < 1 {
            return Err(CopyError::NotLatchkey {
                path: path.to_owned(),
                missing: table.into(),
            });
        }
        *n = c
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .map_err(err)?;
    }
    let [users, clients, refresh_tokens, audit_events] = counts;
    Ok(DatabaseSummary {
        schema_version,
        users,
        clients,
        refresh_tokens,
        audit_events,
    })
}

/// Before a restore moves the current database aside (no server runs, the data dir is locked):
/// copy everything in its WAL into the file and leave rollback-journal mode, so the file alone
/// holds the data and no `-wal` is left to pair with the wrong file. Refused while another
/// process has the database open.
pub fn settle_into_one_file(db: &Path) -> Result<(), CopyError> {
    let err = |e| CopyError::from_sqlite(db, e);
    let c = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    c.busy_timeout(Duration::from_secs(2)).map_err(err)?;
    let busy: i64 = c
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .map_err(err)?;
    if busy != 0 {
        return Err(CopyError::Busy(db.to_owned()));
    }
    let mode: String = c
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(err)?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(CopyError::Busy(db.to_owned()));
    }
    c.close().map_err(|(_, e)| err(e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_copy_is_the_snapshot_it_started_from_while_another_connection_keeps_writing() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.db");
        let dst = dir.path().join("dst.db");
        let writer = Connection::open(&src).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE t (v BLOB);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
                 INSERT INTO t SELECT randomblob(1000) FROM n;",
            )
            .unwrap();
        std::fs::File::create(&dst).unwrap();
        let mut steps = 0;
        // One page per step, a committed write after every step: without the snapshot each
        // write would restart the copy and it would never end.
        copy_with(&src, Source::Live, &dst, 1, &mut || {
            steps += 1;
            writer
                .execute("INSERT INTO t VALUES (randomblob(1000))", [])
                .unwrap();
        })
        .unwrap();
        assert!(steps > 100, "copied in many steps: {steps}");
        assert_eq!(
            count(&dst),
            500,
            "the rows of the snapshot, none written later"
        );
        assert_eq!(count(&src), 500 + steps, "the writer was never blocked");
        let mode: String = Connection::open(&dst)
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete", "a self-contained file");
    }
}
