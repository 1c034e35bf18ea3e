//! The interactive sign-in, as one state machine: an authorization request is validated, then
//! the browser is sent to sign in, to consent, to a "no access" page, or back to the app with a
//! code; the device verification page walks the same steps for a device code.
//!
//! ```text
//! /authorize ──validate──▶ decide ──▶ Login ──(password)──▶ resume ──▶ decide ...
//!                             ├─────▶ SecondFactor ──(code, or set one up)──▶ resume ...
//!                             ├─────▶ Consent ──(allow/deny)──▶ code / access_denied
//!                             ├─────▶ Denied (not in the app's allowed groups)
//!                             └─────▶ Issue: a code, back to the app
//! ```
//!
//! Each step is a plain function over one store transaction (the `&Tx<'_>` it is given),
//! returning what happened; the web layer parses the request, runs one step in one
//! `web::block`, and renders the answer. A new step (a second factor, say) is added here, in
//! [`next_step`] and the module of its page, not in the handlers.

pub mod authorize;
pub mod consent;
pub mod device;
pub mod second_factor;
pub mod sign_in;

use super::access;
use super::authorize::{self as az, AuthRequest, Next, Rejection, Reply};
use super::error::{ErrorCode, OAuthError};
use super::login;
use crate::config::Settings;
use crate::domain::Acr;
use crate::store::clients::Client;
use crate::store::sessions::Session;
use crate::store::users::User;
use crate::store::{StoreError, Tx};

/// The second sign-in step's page, under `/` (`/login/second-factor?req=HANDLE`, or
/// `?next=PATH` outside an authorization request): the code of an authenticator app or a
/// recovery code, setting one up when the policy asks for one, or — for `phr` — a passkey.
pub const SECOND_FACTOR_PAGE: &str = "login/second-factor";

/// Where a browser goes next.
#[derive(Debug)]
pub enum Outcome {
    Rejected(Rejection),
    /// To one of our pages (login or consent), by 303.
    Local(String),
    /// Back to the client, with these parameters.
    ToClient(Reply, Vec<(&'static str, String)>),
    /// The pending request is gone (expired or finished).
    Expired,
    /// The client address already holds `pending_requests_per_address` unfinished requests.
    TooManyPending,
    /// The user may not use this app: a page saying so, with a way back carrying access_denied.
    Denied {
        app_name: String,
        username: String,
        reply: Reply,
        params: Vec<(&'static str, String)>,
    },
}

/// The browser behind a request, as the steps see it.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The session cookie, if any.
    pub cookie: Option<String>,
    /// The client address as the throttles count it (`throttle::source`).
    pub source: String,
    pub now: i64,
}

impl Visit {
    /// The live session behind the cookie, signed in or with a second factor still due.
    pub fn browser(
        &self,
        c: &Tx<'_>,
        settings: &Settings,
    ) -> Result<Option<login::Browser>, StoreError> {
        match &self.cookie {
            Some(ck) => login::browser_session(c, ck, settings, self.now),
            None => Ok(None),
        }
    }

    /// The signed-in session behind the cookie, with its user.
    pub fn session(
        &self,
        c: &Tx<'_>,
        settings: &Settings,
    ) -> Result<Option<(Session, User)>, StoreError> {
        match &self.cookie {
            Some(ck) => login::current_session(c, ck, settings, self.now),
            None => Ok(None),
        }
    }
}

/// Decide for a validated request and act on it: park it and send the browser to sign in or to
/// consent, refuse it, or issue a code. `handle` is set when the request is already parked.
pub fn next_step(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    areq: AuthRequest,
    client: Client,
    handle: Option<String>,
) -> Result<Outcome, StoreError> {
    let now = visit.now;
    let browser = visit.browser(c, settings)?;
    let floor = browser.as_ref().map_or(Acr::Pwd, |b| b.floor);
    let session = browser.map(|b| (b.session, b.user));
    let (may_use, granted) = match &session {
        Some((_, user)) => (
            access::may_use(c, user, &client)?,
            // `decide` looks at consents only for clients that ask for one.
            if client.skip_consent {
                None
            } else {
                az::granted_scopes(c, user.id, client.id)?
            },
        ),
        None => (true, None),
    };
    let next = az::decide(
        &areq,
        &client,
        session.as_ref().map(|(s, u)| (s, u)),
        floor,
        may_use,
        granted.as_ref(),
        now,
    );
    let park = |page: &str| -> Result<Outcome, StoreError> {
        let h = match &handle {
            Some(h) => h.clone(),
            None => {
                let limit = settings.pending_requests_per_address;
                match az::park(c, &areq, &visit.source, limit, now)? {
                    Some(h) => h,
                    None => return Ok(Outcome::TooManyPending),
                }
            }
        };
        Ok(Outcome::Local(format!("/{page}?req={h}")))
    };
    match (next, session) {
        (Next::Login, _) | (Next::Issue | Next::Denied, None) => park("login"),
        (Next::SecondFactor(_), _) => park(SECOND_FACTOR_PAGE),
        (Next::Consent, _) => park("consent"),
        (Next::Issue, Some((s, user))) => {
            login::touch(c, &s, now)?;
            if let Some(h) = &handle {
                az::forget(c, h)?;
            }
            let code = az::issue_code(c, &areq, &s, &user, now)?;
            Ok(to_client_with_code(settings, &areq, &code))
        }
        (Next::Denied, Some((_, user))) => deny(
            c,
            settings,
            &areq,
            &client,
            &user,
            handle.as_deref(),
            "authorize",
            now,
        ),
        (Next::Fail(code, msg), session) => {
            if let Some(h) = &handle {
                az::forget(c, h)?;
            }
            if code == ErrorCode::AccessDenied
                && let Some((_, user)) = &session
            {
                access::record_denied(c, user, &client, "authorize", now)?;
            }
            Ok(to_client_with_error(
                settings,
                &areq,
                &OAuthError::new(code, msg),
            ))
        }
    }
}

/// Back to the client with a fresh code.
fn to_client_with_code(settings: &Settings, areq: &AuthRequest, code: &str) -> Outcome {
    let reply = Reply::of(areq);
    let params = az::success_params(code, &reply, &settings.issuer);
    Outcome::ToClient(reply, params)
}

/// Back to the client with an error.
fn to_client_with_error(settings: &Settings, areq: &AuthRequest, err: &OAuthError) -> Outcome {
    let reply = Reply::of(areq);
    let params = az::error_params(err, &reply, &settings.issuer);
    Outcome::ToClient(reply, params)
}

/// Refuse a user outside the client's allowed groups: forget the request, audit, and answer
/// with a page whose way back gives the client `access_denied`.
#[allow(clippy::too_many_arguments)]
pub fn deny(
    c: &Tx<'_>,
    settings: &Settings,
    areq: &AuthRequest,
    client: &Client,
    user: &User,
    handle: Option<&str>,
    at: &str,
    now: i64,
) -> Result<Outcome, StoreError> {
    if let Some(h) = handle {
        az::forget(c, h)?;
    }
    access::record_denied(c, user, client, at, now)?;
    let reply = Reply::of(areq);
    let err = OAuthError::new(
        ErrorCode::AccessDenied,
        "the user may not use this application",
    );
    let params = az::error_params(&err, &reply, &settings.issuer);
    Ok(Outcome::Denied {
        app_name: client.name.clone(),
        username: user.username.clone(),
        reply,
        params,
    })
}
