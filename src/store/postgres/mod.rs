//! The PostgreSQL backend: connections (`conn`), the pool, and its own numbered migrations,
//! applied at start under an advisory lock so nodes starting together do not race. The table
//! functions are the same as SQLite's (`store::tables`), written in SQL both databases run.

pub mod conn;
pub mod write;

use crate::store::db::ValueRef;
use crate::store::{Result, StoreError};
use conn::{PgConn, Target};

/// One PostgreSQL migration. `breaking`: nodes one version behind cannot run on the result
/// (a dropped or renamed column, a changed meaning); additive ones (a new table, column or
/// index) keep older nodes working, so an upgrade can go node by node.
pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
    pub breaking: bool,
}

/// PostgreSQL's migrations: their own sequence (the schema started whole at 0001), tracked in
/// `latchkey_schema`. Version N is the N-th entry.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_schema",
        sql: include_str!("../../../migrations/postgres/0001_schema.sql"),
        breaking: true,
    },
    Migration {
        name: "0002_throttle",
        sql: include_str!("../../../migrations/postgres/0002_throttle.sql"),
        breaking: false,
    },
    Migration {
        name: "0003_audit_unsealed",
        sql: include_str!("../../../migrations/postgres/0003_audit_unsealed.sql"),
        breaking: false,
    },
    Migration {
        name: "0004_refresh_token_indexes",
        sql: include_str!("../../../migrations/postgres/0004_refresh_token_indexes.sql"),
        breaking: false,
    },
];

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// The advisory lock ids latchkey takes (`pg_advisory_lock`), one per purpose.
pub mod locks {
    /// Held while migrating: the first node migrates, the others wait and find nothing to do.
    pub const MIGRATE: i64 = 0x6c6b_0001;
    /// Held by every write unit (see `Store::write`): writes run one at a time across all nodes,
    /// as they do in SQLite, so check-then-write rules stay correct without retry loops.
    pub const WRITE: i64 = 0x6c6b_0002;
    /// Held by the node doing upkeep (key rotation, the sweep) for one round.
    pub const UPKEEP: i64 = 0x6c6b_0003;
}

/// r2d2 hands out connections; a closed one is dropped and replaced.
pub struct Manager {
    pub target: Target,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = StoreError;

    fn connect(&self) -> Result<PgConn> {
        self.target.connect()
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<()> {
        conn.batch("")
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.is_closed()
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// Connect, refuse a schema newer than this latchkey knows, and migrate under the advisory lock.
pub fn open(target: Target) -> Result<Pool> {
    let first = target.connect()?;
    migrate(&first, &target.describe())?;
    r2d2::Pool::builder()
        .max_size(8)
        .min_idle(Some(1))
        .connection_timeout(std::time::Duration::from_secs(10))
        .build(Manager { target })
        .map_err(|e| StoreError::Unavailable(format!("PostgreSQL pool: {e}")))
}

/// The schema version of the database (0: never migrated) and the oldest version of latchkey's
/// PostgreSQL schema that can still run on it (the last breaking migration's).
pub fn current_version(c: &PgConn) -> Result<(i64, i64)> {
    let st = c.prepare("SELECT CAST(to_regclass('latchkey_schema') AS TEXT)")?;
    let exists = c
        .query(&st, &[])?
        .first()
        .map(|r| conn::value_at(r, 0))
        .transpose()?
        .is_some_and(|v| v != ValueRef::Null);
    if !exists {
        return Ok((0, 0));
    }
    let st = c.prepare("SELECT version, compatible_from FROM latchkey_schema")?;
    let rows = c.query(&st, &[])?;
    let Some(row) = rows.first() else {
        return Ok((0, 0));
    };
    match (conn::value_at(row, 0)?, conn::value_at(row, 1)?) {
        (ValueRef::Int(v), ValueRef::Int(from)) => Ok((v, from)),
        _ => Err(StoreError::Corrupt(
            "latchkey_schema holds no version".into(),
        )),
    }
}

/// [`current_version`] of the database behind `tx` ((0, 0) on SQLite).
pub fn schema_of(tx: &crate::store::Tx<'_>) -> Result<(i64, i64)> {
    match tx.conn() {
        crate::store::db::Conn::Postgres(c) => current_version(c),
        crate::store::db::Conn::Sqlite(_) => Ok((0, 0)),
    }
}

/// Whether a latchkey whose newest PostgreSQL migration is `supported` can run on a database
/// at (`found`, `compatible_from`): any older schema (it migrates), or a newer one whose
/// migrations since `supported` were all additive.
pub fn can_run_on(supported: i64, found: i64, compatible_from: i64) -> bool {
    found <= supported || compatible_from <= supported
}

fn migrate(c: &PgConn, shown: &str) -> Result<()> {
    c.batch(&format!("SELECT pg_advisory_lock({})", locks::MIGRATE))?;
    let out = migrate_locked(c, shown);
    let unlocked = c.batch(&format!("SELECT pg_advisory_unlock({})", locks::MIGRATE));
    out.and(unlocked)
}

fn migrate_locked(c: &PgConn, shown: &str) -> Result<()> {
    let (found, compatible_from) = current_version(c)?;
    if found == 0 {
        // Checked first: IF NOT EXISTS on an existing table makes PostgreSQL send a notice.
        c.batch(
            "CREATE TABLE IF NOT EXISTS latchkey_schema \
             (version BIGINT NOT NULL, compatible_from BIGINT NOT NULL)",
        )?;
    }
    let supported = latest_version();
    if !can_run_on(supported, found, compatible_from) {
        return Err(StoreError::SchemaTooNew {
            path: shown.to_owned(),
            found,
            supported,
        });
    }
    let mut from = compatible_from;
    for (i, m) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let version = i as i64 + 1;
        if m.breaking {
            from = version;
        }
        let step = format!(
            "BEGIN;\n{}\n;DELETE FROM latchkey_schema;\n\
             INSERT INTO latchkey_schema (version, compatible_from) VALUES ({version}, {from});\nCOMMIT;",
            m.sql
        );
        if let Err(e) = c.batch(&step) {
            let _ = c.batch("ROLLBACK");
            return Err(StoreError::Corrupt(format!(
                "migration {} failed: {e}",
                m.name
            )));
        }
    }
    Ok(())
}
