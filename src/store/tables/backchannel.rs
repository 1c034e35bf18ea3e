//! The outbox of back-channel logout notifications.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::params;

#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub client_pk: i64,
    pub subject: String,
    pub sid: String,
    pub reason: String,
    pub attempts: i64,
}

pub fn insert_outbox(
    tx: &Tx<'_>,
    client_pk: i64,
    subject: &str,
    sid: &str,
    reason: &str,
    now: i64,
) -> Result<()> {
    let c = tx.conn();
    c.execute(
        "INSERT INTO backchannel_outbox (client_pk, subject, sid, reason, created_at, next_attempt_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![client_pk, subject, sid, reason, now],
    )?;
    Ok(())
}

/// Notifications due now for clients other than `except_clients` (the ones already being
/// served), oldest first.
pub fn list_due_outbox(
    tx: &Tx<'_>,
    now: i64,
    except_clients: &[i64],
    limit: i64,
) -> Result<Vec<OutboxItem>> {
    let c = tx.conn();
    let except = serde_json::to_string(except_clients).unwrap_or_else(|_| "[]".into());
    let mut st = c.prepare_cached(
        "SELECT id, client_pk, subject, sid, reason, attempts FROM backchannel_outbox \
         WHERE next_attempt_at <= ?1 AND client_pk NOT IN (SELECT value FROM json_each(?2)) \
         ORDER BY id LIMIT ?3",
    )?;
    let rows = st.query_map(params![now, except, limit], |r| {
        Ok(OutboxItem {
            id: r.get(0)?,
            client_pk: r.get(1)?,
            subject: r.get(2)?,
            sid: r.get(3)?,
            reason: r.get(4)?,
            attempts: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub fn delete_outbox(tx: &Tx<'_>, id: i64) -> Result<()> {
    let c = tx.conn();
    c.execute("DELETE FROM backchannel_outbox WHERE id = ?1", [id])?;
    Ok(())
}

pub fn reschedule_outbox(tx: &Tx<'_>, id: i64, next_attempt_at: i64) -> Result<()> {
    let c = tx.conn();
    c.execute(
        "UPDATE backchannel_outbox SET attempts = attempts + 1, next_attempt_at = ?2 WHERE id = ?1",
        params![id, next_attempt_at],
    )?;
    Ok(())
}
