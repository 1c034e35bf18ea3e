//! The password step. A sign-in has one store step before the password check (the parked
//! request, and whether this browser signed in to the account before) and one after it
//! (the audit of a failure, or the new session); argon2 runs in between, on its own threads.

use crate::config::Settings;
use crate::domain::{Method, Methods};
use crate::oidc::authorize::{self as az, AuthRequest};
use crate::oidc::login::{self, ClientInfo};
use crate::oidc::mail::{MailKind, MailParams};
use crate::store::clients::Client;
use crate::store::users::User;
use crate::store::{StoreError, Tx, known_browsers, sessions};

/// The authorization request a sign-in is for.
#[derive(Debug)]
pub struct Pending {
    pub handle: String,
    pub request: AuthRequest,
    pub client: Client,
}

/// What is known before the password check.
#[derive(Debug)]
pub struct Prepared {
    pub pending: Option<Pending>,
    /// This browser's id for the sign-in throttle, when it signed in to the account before.
    pub known_browser: Option<String>,
}

/// Before the password check (and for the page itself). None when `handle` names no live
/// request (expired, finished or made up).
pub fn prepare(
    c: &Tx<'_>,
    handle: Option<&str>,
    username: Option<&str>,
    browser_cookie: Option<&str>,
    now: i64,
) -> Result<Option<Prepared>, StoreError> {
    let pending = match handle {
        Some(h) => match az::unpark(c, h, now)? {
            Some((request, client)) => Some(Pending {
                handle: h.to_owned(),
                request,
                client,
            }),
            None => return Ok(None),
        },
        None => None,
    };
    let known_browser = match username {
        Some(u) => login::known_browser_id(c, browser_cookie, u, now)?,
        None => None,
    };
    Ok(Some(Prepared {
        pending,
        known_browser,
    }))
}

/// A wrong password: audited, with the wait it earned (if any).
pub fn failed(
    c: &Tx<'_>,
    username: &str,
    wait: Option<i64>,
    info: &ClientInfo,
    now: i64,
) -> Result<(), StoreError> {
    login::audit_failed_login(c, username, now, info)?;
    match wait {
        Some(secs) => login::audit_throttled(c, username, now, secs, info),
        None => Ok(()),
    }
}

/// What a successful sign-in sets in the browser.
#[derive(Debug)]
pub struct SignedIn {
    /// The new session cookie's secret.
    pub session_secret: String,
    /// A known-browser cookie to set, when the browser had none.
    pub new_browser: Option<String>,
    /// The user's own policy asks for a second factor before the session counts as signed in.
    pub second_factor_due: bool,
}

/// The right password: the browser's old session (if any) ends, a new one starts (fresh id:
/// no fixation), the browser becomes known to the account, and the parked request is marked as
/// signed in for by this very session (for prompt=login / max_age).
#[allow(clippy::too_many_arguments)]
pub fn succeeded(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    old_session_cookie: Option<&str>,
    browser_cookie: Option<&str>,
    pending: Option<(&str, AuthRequest)>,
    info: &ClientInfo,
    now: i64,
) -> Result<SignedIn, StoreError> {
    let how = How {
        methods: Methods::of(&[Method::Pwd]),
        detail: None,
    };
    succeeded_with(
        c,
        settings,
        user,
        &how,
        (old_session_cookie, browser_cookie),
        pending,
        info,
        now,
    )
}

/// Where the browser goes after a first sign-in step (a password, a passkey, an upstream
/// provider): back into the parked request `pending`, or else to `next` — through the
/// second-factor page when the user's own policy asks for one.
pub fn go_after(pending: Option<&str>, next: &str, second_factor_due: bool) -> String {
    match pending {
        Some(h) => format!("/authorize/resume?req={h}"),
        None if second_factor_due => {
            let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            format!("/{}?{q}", crate::oidc::interaction::SECOND_FACTOR_PAGE)
        }
        None => next.to_owned(),
    }
}

/// How a sign-in was done: the methods the session starts with, and what the audit records.
#[derive(Debug, Clone)]
pub struct How {
    pub methods: Methods,
    pub detail: Option<String>,
}

/// [`succeeded`] for any first step: a password, or a passkey alone (`how`). `cookies`: the
/// browser's session and known-browser cookies.
#[allow(clippy::too_many_arguments)]
pub fn succeeded_with(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    how: &How,
    (old_session_cookie, browser_cookie): (Option<&str>, Option<&str>),
    pending: Option<(&str, AuthRequest)>,
    info: &ClientInfo,
    now: i64,
) -> Result<SignedIn, StoreError> {
    if let Some(old) = old_session_cookie
        && let Some(b) = login::browser_session(c, old, settings, now)?
    {
        sessions::delete_session(c, b.session.id)?;
    }
    let (session_secret, session) = login::start_session_with(
        c,
        user,
        settings,
        now,
        info,
        &how.methods,
        how.detail.clone(),
    )?;
    let second_factor_due = crate::oidc::mfa::user_floor(c, settings, user)? > how.methods.acr();
    new_browser_notice(c, settings, user, browser_cookie, info, now)?;
    let new_browser = login::remember_browser(c, browser_cookie, user, now)?;
    if let Some((handle, mut request)) = pending {
        request.signed_in_sid = Some(session.sid);
        az::repark(c, handle, &request)?;
    }
    Ok(SignedIn {
        session_secret,
        new_browser,
        second_factor_due,
    })
}

/// A notice mail when the user signs in from a browser they have not used before (not at
/// their very first sign-in: every browser is new then).
fn new_browser_notice(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    browser_cookie: Option<&str>,
    info: &ClientInfo,
    now: i64,
) -> Result<(), StoreError> {
    if !crate::oidc::mail::enabled(settings) || !user.security_notices {
        return Ok(());
    }
    let known = match browser_cookie.filter(|s| s.len() == 43) {
        Some(secret) => known_browsers::is_known_browser(
            c,
            &crate::crypto::random::hash_token(secret),
            user.id,
            now,
        )?,
        None => false,
    };
    if known || !known_browsers::has_known_browsers(c, user.id, now)? {
        return Ok(());
    }
    let params = MailParams {
        ip: info.ip.clone(),
        device: info.user_agent.clone(),
        ..MailParams::for_user(user, now)
    };
    crate::oidc::mail::queue_notice(c, settings, user, MailKind::NewSignIn, &params)?;
    Ok(())
}
