//! The outbox of back-channel logout notifications.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{Dialect, ToValue, params};

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
    due_outbox(tx, now, except_clients, limit, "")
}

/// The same, to be claimed with [`lease_outbox`] in this write unit. On PostgreSQL the rows
/// are locked, and rows another node's unit has locked are skipped (`FOR UPDATE SKIP LOCKED`):
/// a notice is claimed by one node. SQLite has one writer at a time and no `FOR UPDATE`.
pub fn claimable_outbox(
    tx: &Tx<'_>,
    now: i64,
    except_clients: &[i64],
    limit: i64,
) -> Result<Vec<OutboxItem>> {
    let lock = match tx.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    due_outbox(tx, now, except_clients, limit, lock)
}

/// Claim notices for delivery until `until`: they are not due (for any node) before then. A
/// delivered one is deleted and a failed one rescheduled before; one whose node died on the
/// way is due again after it.
pub fn lease_outbox(tx: &Tx<'_>, ids: &[i64], until: i64) -> Result<()> {
    let mut st = tx
        .conn()
        .prepare_cached("UPDATE backchannel_outbox SET next_attempt_at = ?2 WHERE id = ?1")?;
    for id in ids {
        st.execute(params![id, until])?;
    }
    Ok(())
}

fn due_outbox(
    tx: &Tx<'_>,
    now: i64,
    except_clients: &[i64],
    limit: i64,
    lock: &str,
) -> Result<Vec<OutboxItem>> {
    let c = tx.conn();
    // One placeholder per client served (?3, ?4, ...), the clause left out without any: the
    // same text on both databases (PostgreSQL has no `json_each`, and refuses `IN ()`).
    let except = if except_clients.is_empty() {
        String::new()
    } else {
        let list = (0..except_clients.len())
            .map(|i| format!("?{}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        format!(" AND client_pk NOT IN ({list})")
    };
    let mut st = c.prepare_cached(&format!(
        "SELECT id, client_pk, subject, sid, reason, attempts FROM backchannel_outbox \
         WHERE next_attempt_at <= ?1{except} ORDER BY id LIMIT ?2{lock}",
    ))?;
    let mut values: Vec<&dyn ToValue> = vec![&now, &limit];
    values.extend(except_clients.iter().map(|pk| pk as &dyn ToValue));
    let rows = st.query_map(&values[..], |r| {
        Ok(OutboxItem {
            id: r.get(0)?,
            client_pk: r.get(1)?,
            subject: r.get(2)?,
            sid: r.get(3)?,
            reason: r.get(4)?,
            attempts: r.get(5)?,
        })
    })?;
    rows.collect::<Result<Vec<_>, _>>()
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
