//! The store: the typed contract the layers above use ([`Store`], one [`Tx`] per unit of work, the
//! table groups under `tables/`), over two backends: SQLite in one file (`sqlite/`, the default)
//! and PostgreSQL (`postgres/`, for several nodes). Every table function is written once against
//! the SQL facade in `db`, in SQL both databases run. No SQL type leaves this module.

pub mod copy;
pub mod data_lock;
pub mod db;
pub mod durability;
pub mod postgres;
mod sqlite;
mod tables;
// The table groups, under the names the layers above use.
pub use sqlite::connection::open_read_only;
pub use sqlite::{backup, migrate};
pub use tables::{
    admin_keys, apis, attributes, audit, audit_chain, backchannel, clients, codes, consents,
    device, groups, keys, known_browsers, links, mail_queue, passkeys, pending, refresh,
    second_factors, sessions, sweep, throttle, upkeep, upstream, users,
};

use db::Conn;
use durability::Committer;
pub use durability::{CommitObserver, Durability, SyncStats};
use r2d2_sqlite::SqliteConnectionManager;
pub use r2d2_sqlite::rusqlite;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    #[error("database error: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("database pool error: {0}")]
    Pool(#[from] r2d2::Error),
    /// The database cannot be reached (a connection or its thread failed).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A query that expected a row found none (see [`db::OptionalExtension`]).
    #[error("no row")]
    NoRow,
    /// An operation only one backend has (`latchkey backup` on PostgreSQL, raw SQLite access).
    #[error("{0}")]
    Unsupported(String),
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
    /// An fsync failed: this write (and every later one) is refused, never acknowledged.
    #[error(
        "the database cannot make writes durable ({0}); latchkey refuses writes until it is restarted"
    )]
    NotDurable(String),
    #[error("Store::write called inside another Store::write on the same thread")]
    NestedWrite,
}

impl StoreError {
    /// A failure that says nothing about the request and may pass: a failed fsync (writes are
    /// refused until a restart), no free connection in time, the database locked by another
    /// process (a CLI command) for longer than the busy timeout, or a PostgreSQL server that is
    /// restarting or unreachable. Answered with 503 and `Retry-After`, never a bare 500.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::NotDurable(_) | StoreError::Pool(_) | StoreError::Unavailable(_) => true,
            StoreError::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            StoreError::Postgres(e) => {
                e.is_closed()
                    || e.as_db_error().is_none()
                    || e.code().is_some_and(|c| {
                        let c = c.code();
                        // connection exceptions, deadlock/serialization, shutdown, lock timeouts
                        c.starts_with("08")
                            || c.starts_with("40")
                            || c.starts_with("57")
                            || c == "55P03"
                    })
            }
            _ => false,
        }
    }

    /// A violated UNIQUE, NOT NULL, CHECK or FOREIGN KEY constraint.
    fn is_constraint(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::ConstraintViolation
            }
            StoreError::Postgres(e) => e.code().is_some_and(|c| c.code().starts_with("23")),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A unit of work on the store: one transaction (read-only from [`Store::read`], read-write from
/// [`Store::write`]). It is the only way the layers above reach the data: every store function
/// takes one, so several calls share the transaction, and no SQL type leaves this module.
#[derive(Clone, Copy)]
pub struct Tx<'a> {
    conn: Conn<'a>,
    /// Set by a write that must be durable before it is acknowledged (see
    /// [`Store::write_short_lived`]); None outside short-lived units.
    must_sync: Option<&'a std::cell::Cell<bool>>,
}

impl<'a> Tx<'a> {
    fn new(conn: &'a Connection) -> Self {
        Self {
            conn: Conn::Sqlite(conn),
            must_sync: None,
        }
    }
    fn pg(conn: &'a postgres::conn::PgConn) -> Self {
        Self {
            conn: Conn::Postgres(conn),
            must_sync: None,
        }
    }
    fn with_sync_mark(mut self, mark: &'a std::cell::Cell<bool>) -> Self {
        self.must_sync = Some(mark);
        self
    }
    /// This unit wrote a session, refresh token, consent, revocation or audit row: even a
    /// short-lived unit then waits for its fsync before it is acknowledged.
    pub(in crate::store) fn needs_sync(&self) {
        if let Some(mark) = self.must_sync {
            mark.set(true);
        }
    }
    /// The SQL connection behind the unit: for the store's own functions only.
    pub(in crate::store) fn conn(&self) -> Conn<'a> {
        self.conn
    }
    /// Which database this unit runs on.
    pub fn dialect(&self) -> db::Dialect {
        self.conn.dialect()
    }
}

/// A handle on the database: a small pool of connections to SQLite or PostgreSQL. For SQLite,
/// the [`Committer`] orders writes and tells each one when it is durable (see `durability`).
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite {
        pool: Pool,
        path: PathBuf,
        committer: Arc<Committer>,
        batches: Arc<sqlite::write::Batches>,
    },
    Postgres {
        pool: postgres::Pool,
        durability: Durability,
        /// This process's writers take turns before they take a connection: those waiting
        /// for the cluster-wide write lock would otherwise hold the pool and starve the reads.
        turn: Arc<std::sync::Mutex<()>>,
    },
}

/// Where the data lives: `database_url` empty (SQLite in the data dir) or `postgres://…`.
// Made once per process: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(postgres::conn::Target),
}

impl Store {
    /// Open (creating if needed) and migrate the database at `path`, with group commit.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, Durability::default())
    }

    /// Open and migrate the store at `location`.
    pub fn open_at(location: &Location, durability: Durability) -> Result<Self> {
        match location {
            Location::Sqlite(path) => Self::open_with(path, durability),
            Location::Postgres(target) => Ok(Store {
                backend: Backend::Postgres {
                    pool: postgres::open(target.clone())?,
                    durability,
                    turn: Arc::default(),
                },
            }),
        }
    }

    /// Open (creating if needed) and migrate the database at `path`; `durability` decides when
    /// [`Store::write`] returns.
    pub fn open_with(path: &Path, durability: Durability) -> Result<Self> {
        // One plain connection first: a file that is not a database, or one from a newer
        // latchkey, is refused at once and left exactly as it was (no WAL switch, no pool retries).
        let (wal_path, in_wal) = {
            sqlite::connection::create_private(path);
            let mut first = Connection::open(path)?;
            let found = migrate::current_version(&first)?;
            if found > migrate::latest_version() {
                return Err(StoreError::SchemaTooNew {
                    path: path.display().to_string(),
                    found,
                    supported: migrate::latest_version(),
                });
            }
            // Migrations are rare: each one fsynced by SQLite, whatever the setting.
            sqlite::connection::configure(&mut first, "FULL")?;
            migrate::migrate(&mut first, &path.display().to_string())?;
            let journal: String = first.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            // The name SQLite itself uses (absolute, symlinks resolved), plus SQLite's suffix.
            let db_name = first.path().map(PathBuf::from).unwrap_or_default();
            let mut wal = db_name.into_os_string();
            wal.push("-wal");
            let wal = PathBuf::from(wal);
            // The WAL exists while a connection has the database open in WAL mode.
            let in_wal = journal.eq_ignore_ascii_case("wal") && wal.is_file();
            (wal, in_wal)
        };
        // Group commit fsyncs the WAL file itself; without one, let SQLite fsync each commit.
        let durability = if durability == Durability::Group && !in_wal {
            tracing::warn!(
                wal = %wal_path.display(),
                "the database is not in WAL mode; durability `group` falls back to `each`"
            );
            Durability::Each
        } else {
            durability
        };
        let synchronous = durability.synchronous();
        // Pooled connections never create the file (it exists by now): if it is deleted under
        // a running server, a new connection fails and /healthz says so, instead of a fresh
        // empty database appearing in its place.
        let manager = SqliteConnectionManager::file(path)
            .with_flags(
                rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                    | rusqlite::OpenFlags::SQLITE_OPEN_URI
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .with_init(move |c| sqlite::connection::configure(c, synchronous));
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        Ok(Store {
            backend: Backend::Sqlite {
                pool,
                path: path.to_owned(),
                committer: Arc::new(Committer::new(durability, wal_path)),
                batches: Arc::default(),
            },
        })
    }

    #[cfg(test)]
    fn committer(&self) -> &Arc<Committer> {
        match &self.backend {
            Backend::Sqlite { committer, .. } => committer,
            Backend::Postgres { .. } => panic!("no committer on PostgreSQL"),
        }
    }

    #[cfg(test)]
    fn batches(&self) -> &sqlite::write::Batches {
        match &self.backend {
            Backend::Sqlite { batches, .. } => batches,
            Backend::Postgres { .. } => panic!("no batches on PostgreSQL"),
        }
    }

    /// The SQLite file; None on PostgreSQL.
    pub fn path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sqlite { path, .. } => Some(path),
            Backend::Postgres { .. } => None,
        }
    }

    /// Which database this store runs on.
    pub fn dialect(&self) -> db::Dialect {
        match &self.backend {
            Backend::Sqlite { .. } => db::Dialect::Sqlite,
            Backend::Postgres { .. } => db::Dialect::Postgres,
        }
    }

    /// The durability this store runs with (`each` when `group` was asked for without WAL).
    pub fn durability(&self) -> Durability {
        match &self.backend {
            Backend::Sqlite { committer, .. } => committer.mode(),
            Backend::Postgres { durability, .. } => *durability,
        }
    }

    /// Commits and WAL fsyncs so far: `wal_syncs < commits` under load shows group commit at
    /// work. PostgreSQL syncs its own WAL: zeros there.
    pub fn sync_stats(&self) -> SyncStats {
        match &self.backend {
            Backend::Sqlite { committer, .. } => committer.stats(),
            Backend::Postgres { .. } => SyncStats::default(),
        }
    }

    /// Report every fsync that acknowledges writes to `observer` (shared by this store's
    /// clones; set once, a second call returns false). With `each` every commit is one fsync;
    /// `relaxed` reports none. PostgreSQL's fsyncs are its own: nothing is reported.
    pub fn observe_commits(&self, observer: Arc<dyn CommitObserver>) -> bool {
        match &self.backend {
            Backend::Sqlite { committer, .. } => committer.set_observer(observer),
            Backend::Postgres { .. } => false,
        }
    }

    /// Run read-only work on a pooled connection, in one snapshot: one read transaction, on
    /// SQLite as on PostgreSQL, so a unit's statements agree with each other however many
    /// writes commit meanwhile.
    pub fn read<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => {
                let conn = pool.get()?;
                sqlite::connection::read(&conn, |c| f(&Tx::new(c)))
            }
            Backend::Postgres { pool, .. } => {
                // One snapshot for the whole unit, as on SQLite.
                let conn = pool.get()?;
                conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ")?;
                let out = f(&Tx::pg(&conn));
                let end = conn.batch(if out.is_ok() { "COMMIT" } else { "ROLLBACK" });
                let out = out?;
                end?;
                Ok(out)
            }
        }
    }

    /// Raw SQL on a pooled SQLite connection, for tests and tools that inspect the database
    /// directly. Protocol code goes through the store functions instead.
    pub fn sql<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => {
                let conn = pool.get()?;
                f(&conn)
            }
            Backend::Postgres { .. } => Err(sqlite_only()),
        }
    }

    /// Raw SQL in a write unit (see [`Store::write`]), for tests and tools that arrange the
    /// SQLite database directly.
    pub fn sql_write<T: Send>(&self, f: impl FnOnce(&Connection) -> Result<T> + Send) -> Result<T> {
        self.write(|tx| match tx.conn().sqlite() {
            Some(c) => f(c),
            None => Err(sqlite_only()),
        })
    }

    /// Run `f` in a transaction: committed if it returns Ok, rolled back otherwise, so a failed
    /// request never leaves a half-written row. Returns once the commit is as durable as the
    /// store's [`Durability`] promises.
    ///
    /// Writers take turns (one transaction at a time: SQLite's `BEGIN IMMEDIATE` with this
    /// process's committer, PostgreSQL's transaction-scoped advisory lock shared by every node),
    /// so a rule checked in `f` still holds when it commits. Calling `write` from inside `f` is
    /// an error ([`StoreError::NestedWrite`]). On SQLite, `f` may run on the thread of the writer
    /// that leads its batch (`sqlite::write`), hence `Send`.
    pub fn write<T: Send, E: From<StoreError> + Send>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E> + Send,
    ) -> std::result::Result<T, E> {
        self.write_unit(true, f)
    }

    /// [`Store::write`] for a unit that only holds a short-lived step of a flow (a parked
    /// authorization request, an authorization code, a device-code poll, a session's last-seen
    /// time): it returns once committed, without waiting for the fsync that makes it durable.
    /// A power cut may lose it, which costs the user one retry of that step; the next durable
    /// write's fsync covers it anyway. Sessions, refresh tokens, users, clients, keys, consents
    /// and audit rows need the fsync: a unit that writes one of them (the store functions mark
    /// it) waits like [`Store::write`]; units that change users, clients or keys use `write`.
    /// (With `durability = "each"` SQLite syncs inside every commit, so this waits like `write`.)
    pub fn write_short_lived<T: Send, E: From<StoreError> + Send>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E> + Send,
    ) -> std::result::Result<T, E> {
        self.write_unit(false, f)
    }

    /// A write unit; `wait`: until it is durable (or only when a store function marks it).
    fn write_unit<T: Send, E: From<StoreError> + Send>(
        &self,
        wait: bool,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E> + Send,
    ) -> std::result::Result<T, E> {
        match &self.backend {
            Backend::Sqlite {
                pool,
                committer,
                batches,
                ..
            } => sqlite::write::write(pool, committer, batches, wait, f),
            Backend::Postgres {
                pool,
                durability,
                turn,
            } => postgres::write::write(pool, turn, *durability, wait, f),
        }
    }

    /// Copy the WAL into the database file and truncate it (at a clean stop): the database file
    /// alone then holds everything, and a `relaxed` store's last writes reach the disk.
    /// Nothing to do on PostgreSQL.
    pub fn checkpoint(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { .. } => self.sql(|c| {
                c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
                Ok(())
            }),
            Backend::Postgres { .. } => Ok(()),
        }
    }

    /// True when the database answers a trivial query and (SQLite) its file is still where it
    /// was (writes to a deleted file would be lost at the next restart).
    /// After a failed fsync the store refuses writes, so it reports itself unavailable too.
    pub fn ping(&self) -> bool {
        let answers = || {
            self.read(|tx| tx.conn().query_row("SELECT 1", [], |r| r.get::<_, i64>(0)))
                .is_ok()
        };
        match &self.backend {
            Backend::Sqlite {
                path, committer, ..
            } => path.exists() && committer.check_healthy().is_ok() && answers(),
            Backend::Postgres { .. } => answers(),
        }
    }
}

fn sqlite_only() -> StoreError {
    StoreError::Unsupported("this works on SQLite only".into())
}

/// Map a UNIQUE violation to a readable conflict, anything else to a database error.
pub(crate) fn conflict_or(e: StoreError, msg: impl FnOnce() -> String) -> StoreError {
    if e.is_constraint() {
        StoreError::Conflict(msg())
    } else {
        e
    }
}

/// A database opened read-only: SQLite by [`open_read_only`], PostgreSQL by
/// [`open_read_only_postgres`].
pub enum ReadOnly {
    Sqlite { conn: Connection },
    Postgres { conn: postgres::conn::PgConn },
}

impl ReadOnly {
    /// The whole read-only connection as one unit of work.
    pub fn tx(&self) -> Tx<'_> {
        match self {
            ReadOnly::Sqlite { conn } => Tx::new(conn),
            ReadOnly::Postgres { conn } => Tx::pg(conn),
        }
    }
}

/// A PostgreSQL connection for inspection only (`latchkey doctor`): no migrations, and the
/// session refuses writes.
pub fn open_read_only_postgres(target: &postgres::conn::Target) -> Result<ReadOnly> {
    let conn = target.connect()?;
    conn.batch("SET default_transaction_read_only = on")?;
    Ok(ReadOnly::Postgres { conn })
}

/// Whether the connection behind `tx` uses TLS, as PostgreSQL reports it (None on SQLite).
pub fn postgres_uses_tls(tx: &Tx<'_>) -> Result<Option<bool>> {
    match tx.conn() {
        Conn::Sqlite(_) => Ok(None),
        Conn::Postgres(_) => tx
            .conn()
            .query_row(
                "SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
                [],
                |r| r.get::<_, bool>(0),
            )
            .map(Some),
    }
}

/// `PRAGMA quick_check`: `["ok"]` for a sound database, otherwise SQLite's list of problems.
pub fn quick_check(tx: &Tx<'_>) -> Result<Vec<String>> {
    let mut st = tx.conn().prepare("PRAGMA quick_check(20)")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect::<Result<Vec<_>, _>>()
}
