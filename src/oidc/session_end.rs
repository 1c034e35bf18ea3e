//! Ending browser sessions: by logout, expiry, or an admin action. Whatever the cause, the
//! session row goes, its session-bound refresh tokens are revoked, and every client that asked
//! for back-channel logout gets a notification queued in the same transaction.

use crate::store::sessions::{self, Session};
use crate::store::users::User;
use crate::store::{StoreError, Tx, audit, backchannel, refresh, users};

/// End one session. `reason`: "logout", "expired", "admin", "password_changed", ...
pub fn end_session(
    c: &Tx<'_>,
    s: &Session,
    subject: &str,
    reason: &str,
    now: i64,
) -> Result<(), StoreError> {
    end_session_by(c, s, subject, reason, None, now)
}

/// [`end_session`] on someone else's behalf: the audit row names `actor` (an admin, an admin
/// key) as who ended it.
pub fn end_session_by(
    c: &Tx<'_>,
    s: &Session,
    subject: &str,
    reason: &str,
    actor: Option<String>,
    now: i64,
) -> Result<(), StoreError> {
    for client_pk in sessions::list_backchannel_clients(c, &s.sid)? {
        backchannel::insert_outbox(c, client_pk, subject, &s.sid, reason, now)?;
    }
    refresh::revoke_session_refresh_tokens(c, &s.sid, now)?;
    sessions::delete_session_clients(c, &s.sid)?;
    sessions::delete_session(c, s.id)?;
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: format!("session.ended.{reason}"),
            actor,
            subject: Some(subject.to_owned()),
            ..Default::default()
        },
    )
}

/// End every session of `user` (disable, password change, removal).
pub fn end_user_sessions(
    c: &Tx<'_>,
    user: &User,
    reason: &str,
    now: i64,
) -> Result<usize, StoreError> {
    let list = sessions::list_user_sessions(c, user.id)?;
    for s in &list {
        end_session(c, s, &user.subject, reason, now)?;
    }
    Ok(list.len())
}

/// End sessions that expired (absolute or idle); returns how many.
pub fn end_expired_sessions(c: &Tx<'_>, now: i64, idle_secs: i64) -> Result<usize, StoreError> {
    let list = sessions::list_expired_sessions(c, now, idle_secs)?;
    for s in &list {
        let subject = users::get_user(c, s.user_id)?.subject;
        end_session(c, s, &subject, "expired", now)?;
    }
    Ok(list.len())
}
