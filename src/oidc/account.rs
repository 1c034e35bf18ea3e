//! What a signed-in user can do about their own account.

use super::login;
use super::session_end;
use crate::config::Settings;
use crate::crypto::password;
use crate::domain::check_password;
use crate::store::consents::{self, UserApp};
use crate::store::sessions::{self, Session};
use crate::store::users::{self, User};
use crate::store::{Store, StoreError, Tx, audit, clients, refresh};

pub struct Overview {
    pub sessions: Vec<Session>,
    pub apps: Vec<UserApp>,
    /// The second factors set up, and the recovery codes.
    pub factors: super::mfa::Enrolled,
    /// The passkeys, oldest first.
    pub passkeys: Vec<crate::store::passkeys::Passkey>,
    /// Identities at upstream providers, oldest first, each with whether it may be unlinked
    /// (it is not the last way in).
    pub identities: Vec<(crate::store::upstream::Identity, bool)>,
}

/// Everything the account page shows: the signed-in session, its user, their sessions and apps.
pub struct Page {
    pub session: Session,
    pub user: User,
    pub overview: Overview,
}

/// What a step of the account page does before showing it.
#[derive(Debug, Clone)]
pub enum Action {
    Show,
    /// End one of the user's sessions, by its public sid.
    EndSession(String),
    /// Forget the consent given to an app (by client_id) and revoke its refresh tokens.
    RevokeApp(String),
}

/// What the action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Shown,
    /// `found`: the session was the user's; `own`: it was the one making the request.
    SessionEnded {
        found: bool,
        own: bool,
    },
    AppRevoked {
        found: bool,
    },
}

/// Why the account page cannot be shown to this browser yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    NotSignedIn,
    /// The password is done, the second factor the user's policy asks for is not.
    SecondFactorDue,
}

/// Whether the session signed in (or stepped up) within `reauth_secs`: adding or removing a
/// sign-in method, new recovery codes or a new email address need a fresh sign-in, so an
/// unattended browser is not enough to take the account over.
pub fn is_fresh(session: &Session, settings: &Settings, now: i64) -> bool {
    now - session.auth_time <= settings.reauth_secs
}

/// One step of the account page, in one store transaction: the browser's live session
/// (touched), then the action, then the page as it is after it. A [`Gate`] when the browser
/// is not signed in (nothing runs).
pub fn step(
    c: &Tx<'_>,
    settings: &Settings,
    cookie: Option<&str>,
    action: &Action,
    now: i64,
) -> Result<Result<(Done, Page), Gate>, StoreError> {
    let Some(ck) = cookie else {
        return Ok(Err(Gate::NotSignedIn));
    };
    let Some(b) = login::browser_session(c, ck, settings, now)? else {
        return Ok(Err(Gate::NotSignedIn));
    };
    if !b.complete() {
        return Ok(Err(Gate::SecondFactorDue));
    }
    let (session, user) = (b.session, b.user);
    login::touch(c, &session, now)?;
    let done = match action {
        Action::Show => Done::Shown,
        Action::EndSession(sid) => Done::SessionEnded {
            found: end_own_session(c, &user, sid, now)?,
            own: *sid == session.sid,
        },
        Action::RevokeApp(client_id) => Done::AppRevoked {
            found: revoke_app(c, &user, client_id, now)?,
        },
    };
    let overview = overview(c, &user, now)?;
    Ok(Ok((
        done,
        Page {
            session,
            user,
            overview,
        },
    )))
}

pub fn overview(c: &Tx<'_>, user: &User, now: i64) -> Result<Overview, StoreError> {
    Ok(Overview {
        sessions: sessions::list_user_sessions(c, user.id)?,
        apps: consents::list_user_apps(c, user.id, now)?,
        factors: super::mfa::enrolled(c, user.id)?,
        passkeys: crate::store::passkeys::list_user_passkeys(c, user.id)?,
        identities: crate::store::upstream::list_user_identities(c, user.id)?
            .into_iter()
            .map(|i| {
                let removable = super::upstream::unlink::other_way_in(c, user, i.id)?;
                Ok((i, removable))
            })
            .collect::<Result<_, StoreError>>()?,
    })
}

/// End one of the user's own sessions (by its public sid). False when it is not theirs.
pub fn end_own_session(c: &Tx<'_>, user: &User, sid: &str, now: i64) -> Result<bool, StoreError> {
    match sessions::find_session_by_sid(c, sid)? {
        Some(s) if s.user_id == user.id => {
            session_end::end_session(c, &s, &user.subject, "user_ended", now)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Forget the consent given to an app and revoke its refresh tokens. False for an unknown app.
pub fn revoke_app(c: &Tx<'_>, user: &User, client_id: &str, now: i64) -> Result<bool, StoreError> {
    let Some(client) = clients::find_client(c, client_id)? else {
        return Ok(false);
    };
    consents::delete_consent(c, user.id, client.id)?;
    refresh::revoke_user_client_refresh_tokens(c, user.id, client.id, now)?;
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "consent.revoked".into(),
            subject: Some(user.subject.clone()),
            client_id: Some(client.client_id),
            ..Default::default()
        },
    )?;
    Ok(true)
}

/// Confirm the authenticator app being set up on the account page; when it is, the session
/// that proved it has two factors from now on. Returns the session's new cookie secret then.
#[allow(clippy::too_many_arguments)]
pub fn enrol_totp(
    c: &Tx<'_>,
    settings: &Settings,
    key: &crate::crypto::secret_key::SecretKey,
    session: &Session,
    user: &User,
    token: &str,
    typed: &str,
    now: i64,
) -> Result<(super::mfa::totp::Confirmed, Option<String>), StoreError> {
    let confirmed = super::mfa::totp::confirm(c, settings, key, user, token, typed, now)?;
    let secret = match confirmed {
        super::mfa::totp::Confirmed::Done { .. } => {
            login::step_up(c, session, crate::domain::Method::Otp, now)?
        }
        _ => None,
    };
    Ok((confirmed, secret))
}

#[derive(Debug, PartialEq, Eq)]
pub enum PasswordChange {
    Done,
    WrongCurrent,
    Mismatch,
    Weak(String),
}

/// Change the password after checking the current one (an account without a password, made by
/// an invite with a passkey, sets its first one: the caller asks for a fresh sign-in instead).
/// Every other session ends and refresh tokens are revoked: whoever else knew the old password
/// is out.
#[allow(clippy::too_many_arguments)]
pub fn change_password(
    store: &Store,
    settings: &Settings,
    user: &User,
    current_sid: &str,
    (current, new, confirm): (&str, &str, &str),
    info: &login::ClientInfo,
    now: i64,
) -> Result<PasswordChange, StoreError> {
    if let Some(problem) = new_password_problem(new, confirm) {
        return Ok(problem);
    }
    if has_password(user) && login::check_password(store, &user.username, current)?.is_none() {
        return Ok(PasswordChange::WrongCurrent);
    }
    let hash = password::hash(new).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.write(|c| {
        users::update_user_password(c, user.id, &hash, now)?;
        for s in sessions::list_user_sessions(c, user.id)? {
            if s.sid != current_sid {
                session_end::end_session(c, &s, &user.subject, "password_changed", now)?;
            }
        }
        refresh::revoke_user_refresh_tokens(c, user.id, now)?;
        audit::insert_audit_event(
            c,
            &audit::AuditEvent {
                at: now,
                kind: "user.password_changed".into(),
                actor: Some(user.username.clone()),
                subject: Some(user.subject.clone()),
                ..Default::default()
            },
        )?;
        super::links::password_notice(c, settings, user, info, now)?;
        Ok(PasswordChange::Done)
    })
}

/// The account page's rules for a new password typed twice (also those of invite and reset
/// links): the same both times, and `domain::check_password`'s policy.
pub fn new_password_problem(new: &str, confirm: &str) -> Option<PasswordChange> {
    if new != confirm {
        return Some(PasswordChange::Mismatch);
    }
    check_password(new).err().map(|e| PasswordChange::Weak(e.0))
}

/// Whether the user has a password (an invited account that chose a passkey has none).
pub fn has_password(user: &User) -> bool {
    super::passkeys::has_usable_password(&user.password_hash)
}
