//! Authorization requests waiting for the user to sign in or consent.

use super::Result;
use r2d2_sqlite::rusqlite::{Connection, OptionalExtension, params};

pub fn insert_pending(
    c: &Connection,
    id_hash: &str,
    client_pk: i64,
    request: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    c.prepare_cached("INSERT INTO pending_authorizations (id_hash, client_pk, request, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![id_hash, client_pk, request, now, expires_at],
    )?;
    Ok(())
}

/// The stored request JSON, while it has not expired.
pub fn find_pending(c: &Connection, id_hash: &str, now: i64) -> Result<Option<String>> {
    Ok(c.prepare_cached(
        "SELECT request FROM pending_authorizations WHERE id_hash = ?1 AND expires_at > ?2",
    )?
    .query_row(params![id_hash, now], |r| r.get(0))
    .optional()?)
}

pub fn delete_pending(c: &Connection, id_hash: &str) -> Result<()> {
    c.prepare_cached("DELETE FROM pending_authorizations WHERE id_hash = ?1")?
        .execute([id_hash])?;
    Ok(())
}

pub fn update_pending(c: &Connection, id_hash: &str, request: &str) -> Result<()> {
    c.prepare_cached("UPDATE pending_authorizations SET request = ?2 WHERE id_hash = ?1")?
        .execute(params![id_hash, request])?;
    Ok(())
}
