//! SQLite connections: the settings every pooled one gets, new files, read-only inspection.

use crate::store::{ReadOnly, Result, StoreError};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// How long a writer waits for the lock before giving up (the CLI and the server share the file).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Create a new database file readable by its owner only (SQLite gives -wal and -shm the same
/// mode). An existing file keeps its permissions; `latchkey doctor` reports loose ones.
pub fn create_private(path: &Path) {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let _ = opts.open(path);
}

/// `synchronous` is `FULL` (SQLite fsyncs the WAL in every COMMIT) or `NORMAL` (no fsync in
/// COMMIT: group commit fsyncs the WAL itself, `relaxed` leaves it to checkpoints). Either way a
/// checkpoint fsyncs the WAL before copying it and the database after.
pub fn configure(c: &mut Connection, synchronous: &str) -> rusqlite::Result<()> {
    // Hot queries are prepared once per connection and reused (compiling SQL showed in profiles).
    c.set_prepared_statement_cache_capacity(64);
    c.busy_timeout(BUSY_TIMEOUT)?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", synchronous)?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    // Each unit of a batched write runs in a savepoint, so SQLite keeps a statement journal of
    // the pages it changes; past 64 KiB that journal spilled to a new file in /var/tmp, created
    // and deleted once per batch (~10 a second under load), and a write would fail where no temp
    // directory is writable. In memory it is bounded by one batch (`sqlite::write::MAX_UNITS`).
    c.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// A connection for inspection only (`latchkey doctor`): no migrations, no pragmas that write,
/// no files created. Fails when the file does not exist (it is never created).
///
/// When there is no `-wal` file (no server or command has the database open) the file is opened
/// `immutable`, so SQLite creates no `-wal`/`-shm` beside it. Otherwise the connection joins the
/// running server's WAL read-only and sees everything committed.
pub fn open_read_only(path: &Path) -> Result<ReadOnly> {
    use rusqlite::OpenFlags;
    let abs = std::path::absolute(path).map_err(|e| {
        StoreError::NotFound(format!("cannot resolve the path {}: {e}", path.display()))
    })?;
    let mut wal = abs.clone().into_os_string();
    wal.push("-wal");
    let mut uri = url::Url::from_file_path(&abs).map_err(|()| {
        StoreError::NotFound(format!("cannot use the path {} as a URI", abs.display()))
    })?;
    uri.set_query(Some(if Path::new(&wal).exists() {
        "mode=ro"
    } else {
        "mode=ro&immutable=1"
    }));
    let c = Connection::open_with_flags(
        uri.as_str(),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(BUSY_TIMEOUT)?;
    Ok(ReadOnly::Sqlite { conn: c })
}

/// Run `f` in one read transaction on `c`: every statement reads the same snapshot. Without it
/// each statement is its own transaction, and one that follows a commit (a commit every few
/// hundred µs under load) starts with the connection's page cache emptied.
pub fn read<T>(c: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    c.prepare_cached("BEGIN")?.execute([])?;
    let _open = ReadTx(c);
    let out = f(c);
    c.prepare_cached("COMMIT")?.execute([])?;
    out
}

/// Ends a read transaction left open (its unit panicked, or COMMIT failed) before the pool hands
/// the connection on.
struct ReadTx<'a>(&'a Connection);

impl Drop for ReadTx<'_> {
    fn drop(&mut self) {
        rollback_open(self.0);
    }
}

/// Roll back whatever transaction `c` still has open, so the pool never hands out a connection
/// inside one (a read's snapshot, or a writer's lock). Dropping guards call it: errors cannot
/// go anywhere, and a connection with no transaction open is left as it is.
pub(super) fn rollback_open(c: &Connection) {
    if !c.is_autocommit() {
        let _ = c.execute_batch("ROLLBACK");
    }
}
