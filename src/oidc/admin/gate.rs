//! Who may use `/admin`: a signed-in, enabled admin with every factor their policy asks for,
//! whose sign-in is younger than `admin_reauth_secs`. Every admin page and action runs this
//! first, in the transaction of its work.

use crate::config::Settings;
use crate::oidc::login;
use crate::store::users::User;
use crate::store::{StoreError, Tx, clients, sessions, users};

/// What the browser behind a session cookie may do on `/admin`.
#[derive(Debug)]
pub enum Gate {
    NotSignedIn,
    /// The password is done, the second factor the admin's policy asks for is not.
    SecondFactorDue,
    /// Signed in, but not an admin: a 403 page, for every GET and POST.
    Forbidden,
    /// An admin whose sign-in is older than `admin_reauth_secs`: sign in again.
    Stale,
    Admin(Box<User>),
}

/// Check the browser's session (and keep it alive when it passes the sign-in checks).
pub fn gate(
    c: &Tx<'_>,
    settings: &Settings,
    cookie: Option<&str>,
    now: i64,
) -> Result<Gate, StoreError> {
    let Some(ck) = cookie else {
        return Ok(Gate::NotSignedIn);
    };
    let Some(b) = login::browser_session(c, ck, settings, now)? else {
        return Ok(Gate::NotSignedIn);
    };
    if !b.complete() {
        return Ok(Gate::SecondFactorDue);
    }
    login::touch(c, &b.session, now)?;
    if !b.user.is_admin {
        return Ok(Gate::Forbidden);
    }
    if now - b.session.auth_time > settings.admin_reauth_secs {
        return Ok(Gate::Stale);
    }
    Ok(Gate::Admin(Box::new(b.user)))
}

/// The dashboard's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub users: i64,
    /// Sessions neither expired nor idle too long.
    pub active_sessions: i64,
    pub apps: i64,
}

pub fn counts(c: &Tx<'_>, settings: &Settings, now: i64) -> Result<Counts, StoreError> {
    Ok(Counts {
        users: users::count_users(c)?,
        active_sessions: sessions::count_live_sessions(c, now, settings.session_idle_timeout_secs)?,
        apps: clients::count_clients(c)?,
    })
}
