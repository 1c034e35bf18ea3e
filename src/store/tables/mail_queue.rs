//! Mail waiting to be sent: queued in the same transaction as the change it tells about, sent
//! and deleted (or rescheduled) by the background sender.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{Dialect, OptionalExtension, Row, params};

#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    /// The template's values, JSON.
    pub params: String,
    /// The sealed one-time link, for link mails.
    pub link: Option<String>,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
}

pub struct NewMail<'a> {
    pub kind: &'a str,
    pub recipient: &'a str,
    pub params: &'a str,
    pub link: Option<&'a str>,
}

const COLUMNS: &str =
    "id, kind, recipient, params, link, created_at, attempts, next_attempt_at, last_error";

fn from_row(r: &Row<'_>) -> crate::store::Result<QueuedMail> {
    Ok(QueuedMail {
        id: r.get(0)?,
        kind: r.get(1)?,
        recipient: r.get(2)?,
        params: r.get(3)?,
        link: r.get(4)?,
        created_at: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt_at: r.get(7)?,
        last_error: r.get(8)?,
    })
}

/// Queue a mail, due at once. Returns its id.
pub fn insert_mail(tx: &Tx<'_>, m: &NewMail<'_>, now: i64) -> Result<i64> {
    let c = tx.conn();
    let new_id = c.insert(
        "INSERT INTO mail_queue (kind, recipient, params, link, created_at, next_attempt_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![m.kind, m.recipient, m.params, m.link, now],
    )?;
    Ok(new_id)
}

/// Mails due by `now`, oldest first.
pub fn list_due_mail(tx: &Tx<'_>, now: i64, limit: i64) -> Result<Vec<QueuedMail>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM mail_queue WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2"
    ))?;
    let rows = st.query_map(params![now, limit], from_row)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// Take the oldest due mail for sending until `until`: it is not due (for any node) before
/// then. Sent, it is deleted, failed, rescheduled before; if its node dies on the way it is due
/// again after. On PostgreSQL the row is locked and rows another node's unit locked are skipped
/// (`FOR UPDATE SKIP LOCKED`), so one node takes it; SQLite's writers take turns anyway.
/// Call it in a write unit.
pub fn claim_due_mail(tx: &Tx<'_>, now: i64, until: i64) -> Result<Option<QueuedMail>> {
    let c = tx.conn();
    let lock = match tx.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let Some(mail) = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM mail_queue WHERE next_attempt_at <= ?1 \
             ORDER BY next_attempt_at, id LIMIT 1{lock}"
        ))?
        .query_row([now], from_row)
        .optional()?
    else {
        return Ok(None);
    };
    c.prepare_cached("UPDATE mail_queue SET next_attempt_at = ?2 WHERE id = ?1")?
        .execute(params![mail.id, until])?;
    Ok(Some(mail))
}

/// Every queued mail, oldest first (doctor, tests).
pub fn list_mail(tx: &Tx<'_>) -> Result<Vec<QueuedMail>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(&format!("SELECT {COLUMNS} FROM mail_queue ORDER BY id"))?;
    let rows = st.query_map([], from_row)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// A failed attempt: try again at `next`.
pub fn reschedule_mail(tx: &Tx<'_>, id: i64, next: i64, error: &str) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
    )?
    .execute(params![id, next, error])?;
    Ok(())
}

/// Delivered or given up.
pub fn delete_mail(tx: &Tx<'_>, id: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("DELETE FROM mail_queue WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
