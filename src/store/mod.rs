//! The only place with SQL. Functions take `&Connection` so they also run inside a transaction.

pub mod apis;
pub mod attributes;
pub mod audit;
pub mod backchannel;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod device;
pub mod groups;
pub mod keys;
pub mod migrate;
pub mod pending;
pub mod refresh;
pub mod sessions;
pub mod sweep;
pub mod users;

use r2d2_sqlite::SqliteConnectionManager;
pub use r2d2_sqlite::rusqlite;
use rusqlite::{Connection, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub type Pool = r2d2::Pool<SqliteConnectionManager>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database pool error: {0}")]
    Pool(#[from] r2d2::Error),
    #[error(
        "the database at {path} has schema version {found}, newer than this latchkey supports ({supported}); upgrade latchkey or restore a backup"
    )]
    SchemaTooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How long a writer waits for the lock before giving up (the CLI and the server share the file).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A handle on the database: a small pool of connections, all with the same pragmas.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    path: PathBuf,
}

impl Store {
    /// Open (creating if needed) and migrate the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        // One plain connection first: a file that is not a database, or one from a newer
        // latchkey, is refused at once and left exactly as it was (no WAL switch, no pool retries).
        {
            create_private(path);
            let mut first = Connection::open(path)?;
            let found = migrate::current_version(&first)?;
            if found > migrate::latest_version() {
                return Err(StoreError::SchemaTooNew {
                    path: path.display().to_string(),
                    found,
                    supported: migrate::latest_version(),
                });
            }
            configure(&mut first)?;
            migrate::migrate(&mut first, &path.display().to_string())?;
        }
        let manager = SqliteConnectionManager::file(path).with_init(configure);
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        Ok(Store {
            pool,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run read-only work on a pooled connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.pool.get()?;
        f(&conn)
    }

    /// Run `f` in a `BEGIN IMMEDIATE` transaction: committed if it returns Ok, rolled back otherwise,
    /// so a failed request never leaves a half-written row.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut conn = self.pool.get().map_err(StoreError::from)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// True when the database answers a trivial query and its file is still where it was
    /// (writes to a deleted file would be lost at the next restart).
    pub fn ping(&self) -> bool {
        self.path.exists()
            && self
                .read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
                .is_ok()
    }
}

/// Create a new database file readable by its owner only (SQLite gives -wal and -shm the same
/// mode). An existing file keeps its permissions; `latchkey doctor` reports loose ones.
fn create_private(path: &Path) {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let _ = opts.open(path);
}

fn configure(c: &mut Connection) -> rusqlite::Result<()> {
    c.busy_timeout(BUSY_TIMEOUT)?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a committed write survives power loss before we answer the request.
    c.pragma_update(None, "synchronous", "FULL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Map a UNIQUE violation to a readable conflict, anything else to a database error.
pub(crate) fn conflict_or(e: rusqlite::Error, msg: impl FnOnce() -> String) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(msg())
        }
        other => StoreError::Sqlite(other),
    }
}

/// A connection for inspection only (`latchkey doctor`): no migrations, no pragmas that write,
/// no files created. Fails when the file does not exist (it is never created).
///
/// When there is no `-wal` file (no server or command has the database open) the file is opened
/// `immutable`, so SQLite creates no `-wal`/`-shm` beside it. Otherwise the connection joins the
/// running server's WAL read-only and sees everything committed.
pub fn open_read_only(path: &Path) -> Result<Connection> {
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
    Ok(c)
}

/// `PRAGMA quick_check`: `["ok"]` for a sound database, otherwise SQLite's list of problems.
pub fn quick_check(c: &Connection) -> Result<Vec<String>> {
    let mut st = c.prepare("PRAGMA quick_check(20)")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
