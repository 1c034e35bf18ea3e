//! Browser sessions of every user: list the active ones, end one (as logout does: refresh
//! tokens bound to it revoked, back-channel logout queued for the apps it signed in to).

use super::page::{Page, PageRequest};
use super::{Actor, AdminError};
use crate::oidc::session_end;
use crate::store::sessions::{self, Session};
use crate::store::{StoreError, Tx, users};

/// An active session and whose it is.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActiveSession {
    pub sid: String,
    pub username: String,
    pub auth_time: i64,
    /// Space-separated sign-in methods (`pwd`, `otp`, `hwk`, ...).
    pub amr: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    #[serde(skip)]
    row: i64,
}

impl ActiveSession {
    fn new(s: Session, username: String) -> Self {
        Self {
            row: s.id,
            sid: s.sid,
            username,
            auth_time: s.auth_time,
            amr: s.amr,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            user_agent: s.user_agent,
            ip: s.ip,
        }
    }
}

/// Sessions neither expired nor idle longer than `idle_secs`, newest first; only `username`'s
/// when given.
pub fn list(
    c: &Tx<'_>,
    now: i64,
    idle_secs: i64,
    username: Option<&str>,
    page: &PageRequest,
) -> Result<Page<ActiveSession>, AdminError> {
    let limit = page.limit()?;
    let user_id = username
        .map(|u| users::get_user_by_username(c, u).map(|u| u.id))
        .transpose()?;
    let rows =
        sessions::list_live_sessions(c, now, idle_secs, user_id, page.after_id()?, limit + 1)?;
    let rows = rows
        .into_iter()
        .map(|(s, u)| ActiveSession::new(s, u))
        .collect();
    Ok(Page::of(rows, limit, |s: &ActiveSession| s.row.to_string()))
}

/// End the session `sid`; returns it as it was.
pub fn end(c: &Tx<'_>, actor: &Actor, now: i64, sid: &str) -> Result<ActiveSession, AdminError> {
    let s = sessions::find_session_by_sid(c, sid)?
        .ok_or_else(|| StoreError::NotFound(format!("no session {sid:?}")))?;
    let user = users::get_user(c, s.user_id)?;
    session_end::end_session_by(c, &s, &user.subject, "admin", Some(actor.audit_name()), now)?;
    Ok(ActiveSession::new(s, user.username))
}
