//! The audit log: who did what, when. Append-only; rows are written unsealed and sealed into a
//! hash chain a moment later (`audit_chain`); events past `audit_retention_days` are pruned
//! from the chain's old end by the maintenance sweep.

use crate::domain::printable::escape_unsafe;
use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{ToValue, params};

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

/// Record an event, and say it in the log too (structured, for log collectors). The log line's
/// fields have control characters and bidi overrides escaped (`\u{HEX}`), whatever the log
/// format: JSON would keep a bidi override raw, and a reader of text logs should not have to
/// trust the formatter's quoting.
pub fn insert_audit_event(tx: &Tx<'_>, e: &AuditEvent) -> Result<()> {
    tx.needs_sync();
    let c = tx.conn();
    tracing::info!(
        target: "latchkey::audit",
        kind = %escape_unsafe(&e.kind),
        actor = &*field(&e.actor),
        subject = &*field(&e.subject),
        client_id = &*field(&e.client_id),
        ip = &*field(&e.ip),
        detail = &*field(&e.detail),
        "audit"
    );
    // Cached: one of these is written for every token issued.
    c.prepare_cached(
        "INSERT INTO audit_events (at, kind, actor, subject, client_id, ip, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        e.at,
        e.kind,
        e.actor,
        e.subject,
        e.client_id,
        e.ip,
        e.detail
    ])?;
    Ok(())
}

/// A field of the log line: empty when absent, escaped for printing.
fn field(v: &Option<String>) -> std::borrow::Cow<'_, str> {
    escape_unsafe(v.as_deref().unwrap_or(""))
}

/// The newest `limit` events, newest first.
pub fn list_audit_events(tx: &Tx<'_>, limit: i64) -> Result<Vec<AuditEvent>> {
    let c = tx.conn();
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
    rows.collect::<Result<Vec<_>, _>>()
}

/// Which events to list.
#[derive(Debug, Default)]
pub struct AuditFilter {
    /// Events whose actor or subject is one of these.
    pub people: Vec<String>,
    pub client_id: Option<String>,
    /// A kind (`user.created`), or a family of kinds: `session.ended` is
    /// `session.ended.logout`, `session.ended.admin`, ... too.
    pub kind: Option<String>,
    /// At or after this time.
    pub since: Option<i64>,
    /// Before this time.
    pub until: Option<i64>,
    /// Rows with an id below this one (the next page after a page that ended there).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// An event with its row id (the id `latchkey audit verify` names).
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(flatten)]
    pub event: AuditEvent,
}

/// Matching events, newest first.
pub fn find_audit_events(tx: &Tx<'_>, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
    Ok(find_audit_records(tx, f)?
        .into_iter()
        .map(|r| r.event)
        .collect())
}

/// Matching events with their ids, newest first.
pub fn find_audit_records(tx: &Tx<'_>, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
    let c = tx.conn();
    // The next page starts with a seek below the cursor (`?6 IS NULL OR id < ?6` would make
    // SQLite walk down from the newest row every time).
    let below = if f.before_id.is_some() {
        "id < ?6"
    } else {
        "CAST(?6 AS BIGINT) IS NULL"
    };
    // One placeholder per person (?7, ?8, ...), the clause left out without any: the same text
    // on both databases (PostgreSQL has no `json_each`, and refuses `IN ()`). The CASTs give
    // PostgreSQL a type for parameters it first meets in `IS NULL`.
    let whose = if f.people.is_empty() {
        String::new()
    } else {
        let list = (0..f.people.len())
            .map(|i| format!("?{}", i + 7))
            .collect::<Vec<_>>()
            .join(", ");
        format!("(actor IN ({list}) OR subject IN ({list})) AND ")
    };
    let mut st = c.prepare(&format!(
        "SELECT at, kind, actor, subject, client_id, ip, detail, id FROM audit_events \
         WHERE {whose}(CAST(?2 AS TEXT) IS NULL OR client_id = ?2) \
           AND (CAST(?3 AS BIGINT) IS NULL OR at >= ?3) \
           AND (CAST(?4 AS TEXT) IS NULL OR kind = ?4 OR substr(kind, 1, length(?4) + 1) = ?4 || '.') \
           AND (CAST(?5 AS BIGINT) IS NULL OR at < ?5) AND {below} \
         ORDER BY id DESC LIMIT ?1"
    ))?;
    let mut values: Vec<&dyn ToValue> = vec![
        &f.limit,
        &f.client_id,
        &f.since,
        &f.kind,
        &f.until,
        &f.before_id,
    ];
    values.extend(f.people.iter().map(|p| p as &dyn ToValue));
    let rows = st.query_map(&values[..], |r| {
        Ok(AuditRecord {
            id: r.get(7)?,
            event: AuditEvent {
                at: r.get(0)?,
                kind: r.get(1)?,
                actor: r.get(2)?,
                subject: r.get(3)?,
                client_id: r.get(4)?,
                ip: r.get(5)?,
                detail: r.get(6)?,
            },
        })
    })?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// A sign-in (password or passkey), written by `oidc::login`.
pub const SIGNED_IN: &str = "login.succeeded";
/// A wrong password or unknown username.
pub const SIGN_IN_FAILED: &str = "login.failed";
/// A sign-in limit or a device-code limit was hit (`oidc::login`, `oidc::device`).
pub const THROTTLED: [&str; 2] = ["login.throttled", "device.user_code_throttled"];

/// Sign-ins and failed sign-ins per hour, in one pass over migration 0014's `(kind, at)`
/// index: for each hour `i` in `0..hours` with any (hour `i` is `from + 3600 i ..` one hour
/// later), `(i, sign-ins, failures)`, in order of `i`.
pub fn sign_ins_per_hour(tx: &Tx<'_>, from: i64, hours: i64) -> Result<Vec<(i64, i64, i64)>> {
    let mut st = tx.conn().prepare_cached(
        "SELECT (at - ?3) / 3600 AS hour, COUNT(CASE WHEN kind = ?1 THEN 1 END), \
         COUNT(CASE WHEN kind = ?2 THEN 1 END) FROM audit_events \
         WHERE kind IN (?1, ?2) AND at >= ?3 AND at < ?3 + 3600 * CAST(?4 AS BIGINT) \
         GROUP BY hour ORDER BY hour",
    )?;
    let rows = st.query_map(params![SIGNED_IN, SIGN_IN_FAILED, from, hours], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// The newest `limit` throttle blocks ([`THROTTLED`]) at or after `since`, newest first. One
/// query per kind, each reading migration 0014's index backwards from its newest row, so a
/// flood of one kind costs nothing.
pub fn latest_throttle_blocks(tx: &Tx<'_>, since: i64, limit: i64) -> Result<Vec<AuditEvent>> {
    let mut st = tx.conn().prepare_cached(
        "SELECT at, kind, actor, subject, client_id, ip, detail, id FROM audit_events \
         WHERE kind = ?1 AND at >= ?2 ORDER BY at DESC, id DESC LIMIT ?3",
    )?;
    let mut found: Vec<(i64, AuditEvent)> = Vec::new();
    for kind in THROTTLED {
        let rows = st.query_map(params![kind, since, limit], |r| {
            Ok((
                r.get(7)?,
                AuditEvent {
                    at: r.get(0)?,
                    kind: r.get(1)?,
                    actor: r.get(2)?,
                    subject: r.get(3)?,
                    client_id: r.get(4)?,
                    ip: r.get(5)?,
                    detail: r.get(6)?,
                },
            ))
        })?;
        for row in rows {
            found.push(row?);
        }
    }
    found.sort_by(|(i, x), (j, y)| y.at.cmp(&x.at).then(j.cmp(i)));
    found.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(found.into_iter().map(|(_, e)| e).collect())
}
