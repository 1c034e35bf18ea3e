//! Admin API keys: a name, the hash of the key (the key is shown once), when it expires, when
//! it was revoked and last used. Revoked keys stay, so a name always means one key.

use crate::store::Tx;
use crate::store::db::{OptionalExtension, Row, params};
use crate::store::{Result, StoreError, conflict_or};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdminKey {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub created_by: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

pub struct NewAdminKey<'a> {
    pub name: &'a str,
    pub key_hash: &'a str,
    pub created_by: &'a str,
    pub expires_at: Option<i64>,
}

const COLUMNS: &str = "id, name, created_at, created_by, expires_at, revoked_at, last_used_at";

fn from_row(r: &Row<'_>) -> crate::store::Result<AdminKey> {
    Ok(AdminKey {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: r.get(2)?,
        created_by: r.get(3)?,
        expires_at: r.get(4)?,
        revoked_at: r.get(5)?,
        last_used_at: r.get(6)?,
    })
}

pub fn insert_admin_key(tx: &Tx<'_>, k: &NewAdminKey<'_>, now: i64) -> Result<AdminKey> {
    let c = tx.conn();
    c.query_row(
        &format!(
            "INSERT INTO admin_keys (name, key_hash, created_at, created_by, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING {COLUMNS}"
        ),
        params![k.name, k.key_hash, now, k.created_by, k.expires_at],
        from_row,
    )
    .map_err(|e| {
        conflict_or(e, || {
            format!(
                "an admin key named {:?} exists already (revoked keys keep their name)",
                k.name
            )
        })
    })
}

/// Every key, revoked and expired ones too, by name ignoring case (names are unique so).
pub fn list_admin_keys(tx: &Tx<'_>) -> Result<Vec<AdminKey>> {
    let c = tx.conn();
    let mut st = c.prepare(&format!(
        "SELECT {COLUMNS} FROM admin_keys ORDER BY lower(name)"
    ))?;
    st.query_map([], from_row)?.collect::<Result<Vec<_>, _>>()
}

/// The key named `name` (in any case), or NotFound.
pub fn get_admin_key(tx: &Tx<'_>, name: &str) -> Result<AdminKey> {
    let c = tx.conn();
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM admin_keys WHERE lower(name) = lower(?1)"
    ))?
    .query_row([name], from_row)
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("no admin key named {name:?}")))
}

/// The key whose hash is `key_hash`, whatever its state (the caller judges expiry and revocation).
pub fn find_admin_key_by_hash(tx: &Tx<'_>, key_hash: &str) -> Result<Option<AdminKey>> {
    let c = tx.conn();
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM admin_keys WHERE key_hash = ?1"
    ))?
    .query_row([key_hash], from_row)
    .optional()
}

/// Revoke a key once; false when it was revoked already.
pub fn revoke_admin_key(tx: &Tx<'_>, id: i64, now: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(c.prepare_cached(
        "UPDATE admin_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    )?
    .execute(params![id, now])?
        == 1)
}

/// Record a use, unless one was recorded less than `granularity_secs` ago: a busy script does
/// not turn every read into a write.
pub fn touch_admin_key(tx: &Tx<'_>, id: i64, now: i64, granularity_secs: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE admin_keys SET last_used_at = ?2 \
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?2 - CAST(?3 AS BIGINT))",
    )?
    .execute(params![id, now, granularity_secs])?;
    Ok(())
}
