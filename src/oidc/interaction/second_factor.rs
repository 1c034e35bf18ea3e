//! The second step of a sign-in (`/login/second-factor`): after the password, or to step a
//! session up, the browser proves a second factor — the code of an authenticator app, or a
//! recovery code — or, when the policy asks for two factors and none is set up, sets up an
//! authenticator app right there (no dead end), then goes on where it was going.
//!
//! What the step must reach is decided as everywhere else: for an authorization request,
//! `authorize::step_up_needed` (the user's floor, `--require-mfa`, `acr_values`); for a local
//! page (the account page, the device page), two factors. A passkey serves for either
//! (`oidc::passkeys::sign_in`); `phr` needs one: an account without any is told so and offered
//! no way on ([`Prompt::PasskeyNeeded`]).

use super::Visit;
use crate::config::Settings;
use crate::crypto::secret_key::SecretKey;
use crate::domain::{Acr, Method};
use crate::oidc::authorize::{self as az, Reply};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::login::{self, Browser};
use crate::oidc::mfa::totp::{self, Checked, Confirmed};
use crate::oidc::mfa::{self, Enrolled};
use crate::store::{StoreError, Tx};

/// Where the step leads once done: back into a parked authorization request, or to a local
/// page (already checked by the web layer: `/account...` or `/device...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Request(String),
    Page(String),
}

impl Target {
    /// Where to go when the session is strong enough.
    pub fn done_url(&self) -> String {
        match self {
            Target::Request(h) => format!("/authorize/resume?req={h}"),
            Target::Page(p) => p.clone(),
        }
    }

    /// Where to sign in first.
    pub fn login_url(&self) -> String {
        match self {
            Target::Request(h) => format!("/login?req={h}"),
            Target::Page(p) => {
                let q = serde_urlencoded::to_string([("next", p)]).unwrap_or_default();
                format!("/login?{q}")
            }
        }
    }
}

/// What the second-factor page shows, or where the browser goes instead.
#[derive(Debug)]
pub enum Prompt {
    /// Elsewhere: sign in first, or done already.
    Go(String),
    /// The authorization request is gone (expired or finished).
    Expired,
    /// Ask for the authenticator app's code, or a recovery code.
    Code(Ask),
    /// The policy asks for two factors and none is set up: set up an authenticator app now.
    Enrol(Ask),
    /// The request asks for a passkey (`phr`) and this account has one: only a passkey will do.
    Passkey(Ask),
    /// The request asks for a passkey (`phr`) and this account has none to give: the page says
    /// so and offers no way on; `cancel` goes back to the app with `access_denied`.
    PasskeyNeeded {
        ask: Ask,
        cancel: Option<(Reply, Vec<(&'static str, String)>)>,
    },
}

/// Who is asked, for which app, with what they have set up.
#[derive(Debug, Clone)]
pub struct Ask {
    pub browser: Browser,
    /// The app's name, in an authorization request.
    pub app_name: Option<String>,
    /// Where the request goes back to (the page's forms end up there after redirects).
    pub redirect_uri: Option<String>,
    pub enrolled: Enrolled,
    /// The level the step must reach.
    pub need: Acr,
}

/// A session short of the level `target` needs, with the request (and its app's name) when
/// the target is one.
type Short = (Browser, Acr, Option<(az::AuthRequest, String)>);

/// The session and the level it must reach for `target`, or where to go instead.
fn needed(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    target: &Target,
) -> Result<Result<Short, Prompt>, StoreError> {
    let request = match target {
        Target::Request(h) => match az::unpark(c, h, visit.now)? {
            Some((areq, client)) => Some((areq, client)),
            None => return Ok(Err(Prompt::Expired)),
        },
        Target::Page(_) => None,
    };
    let Some(b) = visit.browser(c, settings)? else {
        return Ok(Err(Prompt::Go(target.login_url())));
    };
    let need = match &request {
        Some((areq, client)) => {
            if az::login_needed(areq, &b.session, &b.user, visit.now) {
                return Ok(Err(Prompt::Go(target.login_url())));
            }
            az::step_up_needed(areq, client, &b.session, b.floor)
        }
        None => (b.level() < Acr::Mfa).then_some(Acr::Mfa),
    };
    let Some(need) = need else {
        return Ok(Err(Prompt::Go(target.done_url())));
    };
    let request = request.map(|(areq, client)| (areq, client.name));
    Ok(Ok((b, need, request)))
}

/// GET: what to ask this browser for `target`.
pub fn page(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    target: &Target,
) -> Result<Prompt, StoreError> {
    let (browser, need, request) = match needed(c, settings, visit, target)? {
        Ok(x) => x,
        Err(go) => return Ok(go),
    };
    let enrolled = mfa::enrolled(c, browser.user.id)?;
    let app_name = request.as_ref().map(|(_, name)| name.clone());
    let redirect_uri = request.as_ref().map(|(areq, _)| areq.redirect_uri.clone());
    let ask = Ask {
        browser,
        app_name,
        redirect_uri,
        enrolled,
        need,
    };
    match way(
        need,
        &ask.enrolled,
        crate::oidc::passkeys::available(settings),
    ) {
        Way::Passkey => Ok(Prompt::Passkey(ask)),
        Way::PasskeyNeeded => {
            let cancel = request.map(|(areq, _)| {
                let reply = Reply::of(&areq);
                let err = OAuthError::new(
                    ErrorCode::AccessDenied,
                    "the application asks for a passkey sign-in",
                );
                let params = az::error_params(&err, &reply, &settings.issuer);
                (reply, params)
            });
            Ok(Prompt::PasskeyNeeded { ask, cancel })
        }
        Way::Code => Ok(Prompt::Code(ask)),
        Way::Enrol => Ok(Prompt::Enrol(ask)),
    }
}

/// How the step reaches a level: what [`page`] asks for, and what the admin sign-in checker
/// reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// A passkey (`phr`), which the account has.
    Passkey,
    /// A passkey (`phr`), which the account does not have (or cannot use with this issuer):
    /// no way on.
    PasskeyNeeded,
    /// The authenticator app's code, or a recovery code.
    Code,
    /// Nothing set up yet: set up an authenticator app on the spot.
    Enrol,
}

/// The way to `need` for an account with `enrolled` set up; `passkeys_available`: passkeys
/// can work with this issuer (passkeys registered under another host cannot be asked for).
pub fn way(need: Acr, enrolled: &Enrolled, passkeys_available: bool) -> Way {
    if need >= Acr::Phr {
        if enrolled.passkeys > 0 && passkeys_available {
            Way::Passkey
        } else {
            Way::PasskeyNeeded
        }
    } else if enrolled.any() {
        Way::Code
    } else {
        Way::Enrol
    }
}

/// What a submitted form did.
#[derive(Debug)]
pub enum Submitted {
    /// The code was right: go on (`go`), with the session's new cookie secret.
    SteppedUp { go: String, session_secret: String },
    /// An authenticator app was set up and the session stepped up: show the recovery codes
    /// once, then go on.
    Enrolled {
        go: String,
        session_secret: String,
        recovery_codes: Vec<String>,
        username: String,
    },
    /// A wrong (or used) code, audited: the same prompt again. The throttle counts it.
    Wrong(Prompt),
    /// Setting up did not work (a wrong code, or the page was too old: `expired`): the prompt
    /// again. Nothing is counted: a visitor here has no account to gain by guessing.
    EnrolAgain { prompt: Prompt, expired: bool },
    /// Nothing was checked: go elsewhere, or show this.
    Other(Prompt),
}

/// POST: check the code typed for `target` (an app code or a recovery code), or confirm the
/// authenticator app being set up (`enrolment`: the sealed seed the page carried).
#[allow(clippy::too_many_arguments)]
pub fn submit(
    c: &Tx<'_>,
    settings: &Settings,
    key: &SecretKey,
    visit: &Visit,
    target: &Target,
    typed: &str,
    enrolment: Option<&str>,
    ip: Option<&str>,
) -> Result<Submitted, StoreError> {
    let now = visit.now;
    match (page(c, settings, visit, target)?, enrolment) {
        (Prompt::Code(ask), None) => {
            let user = &ask.browser.user;
            let method = match totp::verify(c, key, user, typed, ip, now)? {
                Checked::Wrong => {
                    mfa::audit(c, "mfa.failed", user, ip, None, now)?;
                    return Ok(Submitted::Wrong(Prompt::Code(ask)));
                }
                Checked::App => "totp",
                Checked::RecoveryCode => "recovery_code",
            };
            let Some(secret) = login::step_up(c, &ask.browser.session, Method::Otp, now)? else {
                return Ok(Submitted::Other(Prompt::Go(target.login_url())));
            };
            let detail = serde_json::json!({ "method": method }).to_string();
            mfa::audit(c, "mfa.succeeded", user, ip, Some(detail), now)?;
            Ok(Submitted::SteppedUp {
                go: target.done_url(),
                session_secret: secret,
            })
        }
        (Prompt::Enrol(ask), Some(token)) => {
            let user = &ask.browser.user;
            let recovery_codes = match totp::confirm(c, key, user, token, typed, now)? {
                Confirmed::Done { recovery_codes } => recovery_codes,
                Confirmed::WrongCode => {
                    return Ok(Submitted::EnrolAgain {
                        prompt: Prompt::Enrol(ask),
                        expired: false,
                    });
                }
                Confirmed::Expired => {
                    return Ok(Submitted::EnrolAgain {
                        prompt: Prompt::Enrol(ask),
                        expired: true,
                    });
                }
                Confirmed::AlreadySetUp => {
                    return Ok(Submitted::Other(page(c, settings, visit, target)?));
                }
            };
            let Some(secret) = login::step_up(c, &ask.browser.session, Method::Otp, now)? else {
                return Ok(Submitted::Other(Prompt::Go(target.login_url())));
            };
            let detail = serde_json::json!({ "method": "totp_enrolment" }).to_string();
            mfa::audit(c, "mfa.succeeded", user, ip, Some(detail), now)?;
            Ok(Submitted::Enrolled {
                go: target.done_url(),
                session_secret: secret,
                recovery_codes,
                username: user.username.clone(),
            })
        }
        (prompt, _) => Ok(Submitted::Other(prompt)),
    }
}

/// A wrong code earned a wait (the sign-in throttle): audited.
pub fn throttled(
    c: &Tx<'_>,
    user: &crate::store::users::User,
    ip: Option<&str>,
    secs: i64,
    now: i64,
) -> Result<(), StoreError> {
    let detail = serde_json::json!({ "wait_secs": secs }).to_string();
    mfa::audit(c, "mfa.throttled", user, ip, Some(detail), now)
}
