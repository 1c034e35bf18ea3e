//! What each user allowed each client to see.

use super::Result;
use r2d2_sqlite::rusqlite::{Connection, OptionalExtension, params};

/// The scopes `user_id` granted `client_pk` (space separated), if any.
pub fn find_consent(c: &Connection, user_id: i64, client_pk: i64) -> Result<Option<String>> {
    Ok(c.query_row(
        "SELECT scope FROM consents WHERE user_id = ?1 AND client_pk = ?2",
        params![user_id, client_pk],
        |r| r.get(0),
    )
    .optional()?)
}

pub fn upsert_consent(
    c: &Connection,
    user_id: i64,
    client_pk: i64,
    scope: &str,
    now: i64,
) -> Result<()> {
    c.execute(
        "INSERT INTO consents (user_id, client_pk, scope, granted_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (user_id, client_pk) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        params![user_id, client_pk, scope, now],
    )?;
    Ok(())
}

pub fn delete_consent(c: &Connection, user_id: i64, client_pk: i64) -> Result<()> {
    c.execute(
        "DELETE FROM consents WHERE user_id = ?1 AND client_pk = ?2",
        params![user_id, client_pk],
    )?;
    Ok(())
}
