//! Authorization requests waiting for the user to sign in or consent.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{OptionalExtension, params};

/// A request to remember; `source` is where it came from (see `oidc::throttle::source`).
pub struct NewPending<'a> {
    pub id_hash: &'a str,
    pub client_pk: i64,
    pub request: &'a str,
    pub source: &'a str,
    pub expires_at: i64,
}

pub fn insert_pending(tx: &Tx<'_>, p: &NewPending<'_>, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO pending_authorizations (id_hash, client_pk, request, source, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        p.id_hash,
        p.client_pk,
        p.request,
        p.source,
        now,
        p.expires_at
    ])?;
    Ok(())
}

/// How many unexpired requests `source` has parked.
pub fn count_pending_from(tx: &Tx<'_>, source: &str, now: i64) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached(
        "SELECT COUNT(*) FROM pending_authorizations WHERE source = ?1 AND expires_at > ?2",
    )?
    .query_row(params![source, now], |r| r.get(0))
}

/// The stored request JSON, while it has not expired: MUST be None from `expires_at` on, even
/// before the sweep deletes the row.
pub fn find_pending(tx: &Tx<'_>, id_hash: &str, now: i64) -> Result<Option<String>> {
    let c = tx.conn();
    c.prepare_cached(
        "SELECT request FROM pending_authorizations WHERE id_hash = ?1 AND expires_at > ?2",
    )?
    .query_row(params![id_hash, now], |r| r.get(0))
    .optional()
}

pub fn delete_pending(tx: &Tx<'_>, id_hash: &str) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("DELETE FROM pending_authorizations WHERE id_hash = ?1")?
        .execute([id_hash])?;
    Ok(())
}

pub fn update_pending(tx: &Tx<'_>, id_hash: &str, request: &str) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("UPDATE pending_authorizations SET request = ?2 WHERE id_hash = ?1")?
        .execute(params![id_hash, request])?;
    Ok(())
}
