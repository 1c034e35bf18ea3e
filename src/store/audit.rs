//! The audit log: who did what, when. Append-only.

use super::Result;
use r2d2_sqlite::rusqlite::{Connection, params};

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct AuditEvent {
    pub at: i64,
    pub kind: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

pub fn insert_audit_event(c: &Connection, e: &AuditEvent) -> Result<()> {
    c.execute(
        "INSERT INTO audit_events (at, kind, actor, subject, client_id, ip, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            e.at,
            e.kind,
            e.actor,
            e.subject,
            e.client_id,
            e.ip,
            e.detail
        ],
    )?;
    Ok(())
}

/// The newest `limit` events, newest first.
pub fn list_audit_events(c: &Connection, limit: i64) -> Result<Vec<AuditEvent>> {
    let mut st = c.prepare(
        "SELECT at, kind, actor, subject, client_id, ip, detail FROM audit_events \
         ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        Ok(AuditEvent {
            at: r.get(0)?,
            kind: r.get(1)?,
            actor: r.get(2)?,
            subject: r.get(3)?,
            client_id: r.get(4)?,
            ip: r.get(5)?,
            detail: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
