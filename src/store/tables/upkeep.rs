//! Work for one node at a time (key rotation, the sweep: [`Store::try_upkeep`]), and the
//! signing keys' version every node polls to pick up a rotation made elsewhere
//! ([`keys_version`]).

use crate::store::postgres::conn::PgConn;
use crate::store::postgres::locks;
use crate::store::{Backend, Result, Store, StoreError, Tx};

/// What decides a node's key ring, short of time: every signing key's id and whether (and
/// when) it was retired. A rotation, a retirement or a deletion changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysVersion(Vec<(String, Option<i64>)>);

/// The signing keys' [`KeysVersion`]: a few short rows (no private keys), cheap to poll.
pub fn keys_version(tx: &Tx<'_>) -> Result<KeysVersion> {
    let c = tx.conn();
    let mut st = c.prepare_cached("SELECT kid, retired_at FROM signing_keys ORDER BY kid")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
    Ok(KeysVersion(rows.collect::<Result<Vec<_>>>()?))
}

impl Store {
    /// Run `f` as this node's round of upkeep unless another node is running one: `Some` with
    /// its result, `None` when the round was skipped. On PostgreSQL the round holds the
    /// session advisory lock [`locks::UPKEEP`] (taken with `pg_try_advisory_lock`, never
    /// waited for) on one pooled connection, and releases it after; `f` does its work in
    /// ordinary units on other connections. A SQLite file has one node: the round always runs.
    pub fn try_upkeep<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<Option<T>, E> {
        let Backend::Postgres { pool, .. } = &self.backend else {
            return f(self).map(Some);
        };
        let conn = pool.get().map_err(StoreError::from)?;
        let Some(_held) = UpkeepLock::try_take(&conn)? else {
            return Ok(None);
        };
        f(self).map(Some)
    }
}

/// The held upkeep lock; released when dropped, also when `f` fails or panics.
struct UpkeepLock<'a> {
    conn: &'a PgConn,
}

impl<'a> UpkeepLock<'a> {
    fn try_take(conn: &'a PgConn) -> Result<Option<Self>> {
        // Outside a transaction: a session lock, held until unlocked or the connection ends.
        let taken: bool = Tx::pg(conn).conn().query_row(
            "SELECT pg_try_advisory_lock(?1)",
            [locks::UPKEEP],
            |r| r.get(0),
        )?;
        Ok(taken.then_some(UpkeepLock { conn }))
    }
}

impl Drop for UpkeepLock<'_> {
    fn drop(&mut self) {
        let unlocked = Tx::pg(self.conn).conn().query_row(
            "SELECT pg_advisory_unlock(?1)",
            [locks::UPKEEP],
            |r| r.get::<_, bool>(0),
        );
        if !matches!(unlocked, Ok(true)) {
            // A connection that cannot say is most likely gone, and its lock with it; one that
            // still holds the lock would keep every node's upkeep waiting, so drop them all.
            let _ = self.conn.batch("SELECT pg_advisory_unlock_all()");
            tracing::warn!(result = ?unlocked, "releasing the upkeep lock failed");
        }
    }
}
