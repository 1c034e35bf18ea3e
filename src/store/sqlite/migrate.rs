//! Forward-only, numbered, embedded migrations, tracked in `PRAGMA user_version`.

use crate::store::{Result, StoreError};
use r2d2_sqlite::rusqlite::{Connection, TransactionBehavior};

/// Every migration, in order. Version N is the N-th entry.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../../../migrations/0001_initial.sql"),
    ),
    (
        "0002_logout",
        include_str!("../../../migrations/0002_logout.sql"),
    ),
    (
        "0003_access",
        include_str!("../../../migrations/0003_access.sql"),
    ),
    (
        "0004_device",
        include_str!("../../../migrations/0004_device.sql"),
    ),
    (
        "0005_expiry_indexes",
        include_str!("../../../migrations/0005_expiry_indexes.sql"),
    ),
    (
        "0006_sources_and_known_browsers",
        include_str!("../../../migrations/0006_sources_and_known_browsers.sql"),
    ),
    (
        "0007_web_origins",
        include_str!("../../../migrations/0007_web_origins.sql"),
    ),
    (
        "0008_client_secret_set_at",
        include_str!("../../../migrations/0008_client_secret_set_at.sql"),
    ),
    (
        "0009_audit_chain",
        include_str!("../../../migrations/0009_audit_chain.sql"),
    ),
    (
        "0010_second_factors",
        include_str!("../../../migrations/0010_second_factors.sql"),
    ),
    (
        "0011_passkeys",
        include_str!("../../../migrations/0011_passkeys.sql"),
    ),
    (
        "0012_admin_keys",
        include_str!("../../../migrations/0012_admin_keys.sql"),
    ),
    (
        "0013_upstream",
        include_str!("../../../migrations/0013_upstream.sql"),
    ),
    (
        "0014_audit_kind_index",
        include_str!("../../../migrations/0014_audit_kind_index.sql"),
    ),
    (
        "0015_onboarding",
        include_str!("../../../migrations/0015_onboarding.sql"),
    ),
    (
        "0016_throttle",
        include_str!("../../../migrations/0016_throttle.sql"),
    ),
    (
        "0017_refresh_token_indexes",
        include_str!("../../../migrations/0017_refresh_token_indexes.sql"),
    ),
];

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// The schema version of the database behind `tx` (0: never migrated).
pub fn schema_version(tx: &crate::store::Tx<'_>) -> Result<i64> {
    match tx.conn() {
        crate::store::db::Conn::Sqlite(c) => current_version(c),
        crate::store::db::Conn::Postgres(c) => Ok(crate::store::postgres::current_version(c)?.0),
    }
}

pub fn current_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Apply every pending migration in one transaction. A newer schema is refused untouched.
pub fn migrate(conn: &mut Connection, path: &str) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = current_version(&tx)?;
    let supported = latest_version();
    if found > supported {
        return Err(StoreError::SchemaTooNew {
            path: path.to_owned(),
            found,
            supported,
        });
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Corrupt(format!("migration {name} failed: {e}")))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}
