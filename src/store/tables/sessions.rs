//! Browser sessions (single sign-on). The cookie holds a secret; we store only its hash.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{OptionalExtension, Row, params};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Session {
    #[serde(skip)]
    pub id: i64,
    pub sid: String,
    pub user_id: i64,
    pub auth_time: i64,
    pub amr: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

pub struct NewSession<'a> {
    pub secret_hash: &'a str,
    pub sid: &'a str,
    pub user_id: i64,
    pub auth_time: i64,
    pub amr: &'a str,
    pub expires_at: i64,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

const COLUMNS: &str =
    "id, sid, user_id, auth_time, amr, created_at, last_seen_at, expires_at, user_agent, ip";

fn from_row(r: &Row<'_>) -> crate::store::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        sid: r.get(1)?,
        user_id: r.get(2)?,
        auth_time: r.get(3)?,
        amr: r.get(4)?,
        created_at: r.get(5)?,
        last_seen_at: r.get(6)?,
        expires_at: r.get(7)?,
        user_agent: r.get(8)?,
        ip: r.get(9)?,
    })
}

pub fn insert_session(tx: &Tx<'_>, s: &NewSession<'_>, now: i64) -> Result<Session> {
    tx.needs_sync();
    let c = tx.conn();
    let new_id = c.insert("INSERT INTO sessions (secret_hash, sid, user_id, auth_time, amr, created_at, last_seen_at, expires_at, user_agent, ip) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9)", params![s.secret_hash, s.sid, s.user_id, s.auth_time, s.amr, now, s.expires_at, s.user_agent, s.ip],
    )?;
    let id = new_id;
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"))?
        .query_row([id], from_row)
}

pub fn find_session_by_secret(tx: &Tx<'_>, secret_hash: &str) -> Result<Option<Session>> {
    let c = tx.conn();
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM sessions WHERE secret_hash = ?1"
    ))?
    .query_row([secret_hash], from_row)
    .optional()
}

pub fn touch_session(tx: &Tx<'_>, id: i64, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}

/// A second step of the sign-in (a second factor, a step-up) succeeded: the session gets its
/// new methods, `auth_time` moves to now, and the cookie secret is replaced (a new privilege,
/// a new secret); `sid` stays. False when the session is gone.
pub fn step_up_session(
    tx: &Tx<'_>,
    id: i64,
    secret_hash: &str,
    amr: &str,
    now: i64,
) -> Result<bool> {
    tx.needs_sync();
    let c = tx.conn();
    Ok(c.prepare_cached(
        "UPDATE sessions SET secret_hash = ?2, amr = ?3, auth_time = ?4, last_seen_at = ?4 \
         WHERE id = ?1",
    )?
    .execute(params![id, secret_hash, amr, now])?
        == 1)
}

pub fn delete_session(tx: &Tx<'_>, id: i64) -> Result<()> {
    tx.needs_sync();
    let c = tx.conn();
    c.prepare_cached("DELETE FROM sessions WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

pub fn delete_user_sessions(tx: &Tx<'_>, user_id: i64) -> Result<usize> {
    tx.needs_sync();
    let c = tx.conn();
    c.prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
        .execute([user_id])
}

pub fn list_user_sessions(tx: &Tx<'_>, user_id: i64) -> Result<Vec<Session>> {
    let c = tx.conn();
    let mut st = c.prepare(&format!(
        "SELECT {COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY last_seen_at DESC"
    ))?;
    st.query_map([user_id], from_row)?
        .collect::<Result<Vec<_>, _>>()
}

/// Live sessions (neither expired nor idle too long, as [`count_live_sessions`] judges them)
/// with their user's username, newest first: those with a row id below `before`, of `user_id`
/// only when given, at most `limit`. Keyset pages: each one is a walk down the primary key from
/// `before`, however deep the page (the `+` keeps SQLite off the expiry indexes, which would
/// make it sort every live session for each page).
pub fn list_live_sessions(
    tx: &Tx<'_>,
    now: i64,
    idle_secs: i64,
    user_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<(Session, String)>> {
    let c = tx.conn();
    let cols: Vec<String> = COLUMNS.split(", ").map(|col| format!("s.{col}")).collect();
    // Texts of their own rather than `?3 IS NULL OR ...`, which would keep SQLite from using
    // an index for them. One user's sessions are few: found through `sessions_user`, sorted.
    let whose = if user_id.is_some() {
        "s.user_id = ?3"
    } else {
        "CAST(?3 AS BIGINT) IS NULL"
    };
    let from = if before.is_some() {
        "s.id < ?4"
    } else {
        "CAST(?4 AS BIGINT) IS NULL"
    };
    let mut st = c.prepare_cached(&format!(
        "SELECT {}, u.username FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE +s.expires_at > ?1 AND +s.last_seen_at > ?1 - ?2 AND {whose} AND {from} \
         ORDER BY s.id DESC LIMIT ?5",
        cols.join(", ")
    ))?;
    let rows = st.query_map(params![now, idle_secs, user_id, before, limit], |r| {
        Ok((from_row(r)?, r.get(10)?))
    })?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// Remember that `sid` signed in to `client_pk` (for back-channel logout and the account page).
/// One row per session and client: a repeat MUST move `last_at` and keep `first_at`.
pub fn upsert_session_client(
    tx: &Tx<'_>,
    sid: &str,
    client_pk: i64,
    user_id: i64,
    now: i64,
) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("INSERT INTO session_clients (sid, client_pk, user_id, first_at, last_at) VALUES (?1, ?2, ?3, ?4, ?4) \
         ON CONFLICT (sid, client_pk) DO UPDATE SET last_at = excluded.last_at")?
        .execute(params![sid, client_pk, user_id, now],
    )?;
    Ok(())
}

/// The clients `sid` signed in to that want back-channel logout notifications, by row id.
pub fn list_backchannel_clients(tx: &Tx<'_>, sid: &str) -> Result<Vec<i64>> {
    let c = tx.conn();
    let mut st = c.prepare(
        "SELECT sc.client_pk FROM session_clients sc JOIN clients cl ON cl.id = sc.client_pk \
         WHERE sc.sid = ?1 AND cl.backchannel_logout_uri IS NOT NULL ORDER BY sc.client_pk",
    )?;
    st.query_map([sid], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()
}

pub fn delete_session_clients(tx: &Tx<'_>, sid: &str) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("DELETE FROM session_clients WHERE sid = ?1")?
        .execute([sid])?;
    Ok(())
}

pub fn find_session_by_sid(tx: &Tx<'_>, sid: &str) -> Result<Option<Session>> {
    let c = tx.conn();
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE sid = ?1"))?
        .query_row([sid], from_row)
        .optional()
}

/// Each side of the OR on its own column, so both expiry indexes (migration 0005) serve it.
pub const EXPIRED_SESSIONS: &str =
    "FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?1 - ?2 LIMIT 500";

/// Sessions past their absolute lifetime or idle too long.
pub fn list_expired_sessions(tx: &Tx<'_>, now: i64, idle_secs: i64) -> Result<Vec<Session>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(&format!("SELECT {COLUMNS} {EXPIRED_SESSIONS}"))?;
    st.query_map(params![now, idle_secs], from_row)?
        .collect::<Result<Vec<_>, _>>()
}

/// Sessions neither expired nor idle too long (as `list_expired_sessions` judges them): the
/// `latchkey_sessions_active` gauge, counted from the table so it is right after a restart.
pub fn count_live_sessions(tx: &Tx<'_>, now: i64, idle_secs: i64) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached(
        "SELECT COUNT(*) FROM sessions WHERE expires_at > ?1 AND last_seen_at > ?1 - ?2",
    )?
    .query_row(params![now, idle_secs], |r| r.get(0))
}
