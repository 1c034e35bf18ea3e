//! Signing keys (private keys live here and nowhere else).

use crate::crypto::keys::{Alg, KeyMaterial};
use crate::store::Tx;
use crate::store::db::params;
use crate::store::{Result, StoreError};

pub fn insert_key(tx: &Tx<'_>, k: &KeyMaterial) -> Result<()> {
    let c = tx.conn();
    c.execute(
        "INSERT INTO signing_keys (kid, alg, private_pem, created_at, retired_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![k.kid, k.alg.as_str(), k.private_pem, k.created_at, k.retired_at],
    )?;
    Ok(())
}

/// Every key that is active or retired after `retired_since`, oldest first.
pub fn list_keys(tx: &Tx<'_>, retired_since: i64) -> Result<Vec<KeyMaterial>> {
    let c = tx.conn();
    let mut st = c.prepare(
        "SELECT kid, alg, private_pem, created_at, retired_at FROM signing_keys \
         WHERE retired_at IS NULL OR retired_at >= ?1 ORDER BY created_at, kid",
    )?;
    let rows = st.query_map([retired_since], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        ))
    })?;
    rows.map(|row| {
        let (kid, alg, private_pem, created_at, retired_at) = row?;
        let alg = Alg::parse(&alg)
            .ok_or_else(|| StoreError::Corrupt(format!("key {kid} has unknown alg {alg}")))?;
        Ok(KeyMaterial {
            kid,
            alg,
            private_pem,
            created_at,
            retired_at,
        })
    })
    .collect()
}

/// Retire every active key of `alg` (they keep verifying until the retention period passes).
pub fn retire_keys(tx: &Tx<'_>, alg: Alg, now: i64) -> Result<usize> {
    let c = tx.conn();
    c.execute(
        "UPDATE signing_keys SET retired_at = ?2 WHERE alg = ?1 AND retired_at IS NULL",
        params![alg.as_str(), now],
    )
}

/// Forget keys retired before `before`: nothing signed by them is still valid.
pub fn delete_retired_keys(tx: &Tx<'_>, before: i64) -> Result<usize> {
    let c = tx.conn();
    c.execute(
        "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?1",
        [before],
    )
}
