//! What each user allowed each client to see.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{OptionalExtension, params};

/// The scopes `user_id` granted `client_pk` (space separated), if any.
pub fn find_consent(tx: &Tx<'_>, user_id: i64, client_pk: i64) -> Result<Option<String>> {
    let c = tx.conn();
    c.prepare_cached("SELECT scope FROM consents WHERE user_id = ?1 AND client_pk = ?2")?
        .query_row(params![user_id, client_pk], |r| r.get(0))
        .optional()
}

/// One grant per user and client: a new one MUST replace the scope and `granted_at` of the old.
pub fn upsert_consent(
    tx: &Tx<'_>,
    user_id: i64,
    client_pk: i64,
    scope: &str,
    now: i64,
) -> Result<()> {
    tx.needs_sync();
    let c = tx.conn();
    c.prepare_cached("INSERT INTO consents (user_id, client_pk, scope, granted_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (user_id, client_pk) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at")?
        .execute(params![user_id, client_pk, scope, now],
    )?;
    Ok(())
}

pub fn delete_consent(tx: &Tx<'_>, user_id: i64, client_pk: i64) -> Result<()> {
    tx.needs_sync();
    let c = tx.conn();
    c.prepare_cached("DELETE FROM consents WHERE user_id = ?1 AND client_pk = ?2")?
        .execute(params![user_id, client_pk])?;
    Ok(())
}

/// An app a user has used: granted scopes (if consent was recorded) and when.
#[derive(Debug, Clone)]
pub struct UserApp {
    pub client_pk: i64,
    pub client_id: String,
    pub name: String,
    pub scope: Option<String>,
}

/// Apps the user consented to, signed into in a live session, or holds a live refresh token for.
pub fn list_user_apps(tx: &Tx<'_>, user_id: i64, now: i64) -> Result<Vec<UserApp>> {
    let c = tx.conn();
    let mut st = c.prepare(
        "SELECT cl.id, cl.client_id, cl.name, co.scope FROM clients cl \
         LEFT JOIN consents co ON co.client_pk = cl.id AND co.user_id = ?1 \
         WHERE cl.id IN (SELECT client_pk FROM consents WHERE user_id = ?1 \
                         UNION SELECT client_pk FROM session_clients WHERE user_id = ?1 \
                         UNION SELECT client_pk FROM refresh_tokens WHERE user_id = ?1 \
                               AND revoked_at IS NULL AND used_at IS NULL AND expires_at > ?2) \
         ORDER BY cl.name",
    )?;
    let rows = st.query_map(params![user_id, now], |r| {
        Ok(UserApp {
            client_pk: r.get(0)?,
            client_id: r.get(1)?,
            name: r.get(2)?,
            scope: r.get(3)?,
        })
    })?;
    rows.collect::<Result<Vec<_>, _>>()
}
