//! Signing in with a passkey: alone on the login page (usernameless: the passkey names its
//! user), or on top of a session on the second-factor page. Either way the passkey must verify
//! the user (PIN or biometrics), so the session gets `hwk` (or `swk` for a synced key),
//! `user` and `mfa`, and reaches `phr`.
//!
//! A passkey sign-in goes through the same state machine as a password: the parked request is
//! marked as signed in for by the new session and resumed (`sign_in::succeeded_with`); a
//! step-up goes back where the second-factor page was going (`Target::done_url`).

use super::{Begun, Refusal, audit_event, keep, refusal, relying_party, take};
use crate::config::Settings;
use crate::crypto::passkey::{Assertion, RelyingParty};
use crate::domain::{Method, Methods};
use crate::oidc::authorize as az;
use crate::oidc::interaction::Visit;
use crate::oidc::interaction::second_factor::Target;
use crate::oidc::interaction::sign_in::{self, How, SignedIn};
use crate::oidc::login::{self, ClientInfo};
use crate::store::passkeys::{self, ChallengeKind, Passkey};
use crate::store::users::{self, User};
use crate::store::{StoreError, Tx};
use serde_json::{Value, json};

type Step<T> = Result<Result<T, Refusal>, StoreError>;

/// The methods a user-verified passkey signs in with.
fn passkey_methods(a: &Assertion) -> Vec<Method> {
    let key = if a.backup_eligible {
        Method::Swk
    } else {
        Method::Hwk
    };
    if a.user_verified {
        vec![key, Method::User]
    } else {
        vec![key]
    }
}

/// Begin a usernameless sign-in (the login page's button and its conditional UI).
pub fn begin(c: &Tx<'_>, settings: &Settings, visit: &Visit) -> Step<Begun> {
    let rp = match relying_party(settings) {
        Ok(rp) => rp,
        Err(r) => return Ok(Err(r)),
    };
    let (options, state) = match rp.begin_sign_in() {
        Ok(x) => x,
        Err(e) => return Ok(Err(refusal(e)?)),
    };
    Ok(keep(
        c,
        settings,
        ChallengeKind::SignIn,
        (None, None),
        None,
        state,
        &visit.source,
        visit.now,
    )?
    .map(|challenge| Begun { challenge, options }))
}

/// Where a finished sign-in goes, and what it sets in the browser.
#[derive(Debug)]
pub struct Done {
    pub signed_in: SignedIn,
    pub go: String,
}

/// A refused answer: audited (`passkey.failed`) with the user it claimed, if any.
fn failed(
    c: &Tx<'_>,
    user: Option<&User>,
    why: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<Refusal, StoreError> {
    audit_event(c, "passkey.failed", user, ip, json!({"reason": why}), now)?;
    Ok(Refusal::Rejected)
}

/// The registered passkey and its (enabled) user an answer names, or why not.
fn named_passkey(
    c: &Tx<'_>,
    rp: &RelyingParty,
    response: &Value,
    ip: Option<&str>,
    now: i64,
) -> Step<(Passkey, User, String)> {
    let (handle, cred_id) = match rp.identify(response) {
        Ok(x) => x,
        Err(e) => return Ok(Err(refusal(e)?)),
    };
    let Some(pk) = passkeys::find_passkey_by_credential_id(c, &cred_id)? else {
        return Ok(Err(failed(c, None, "unknown passkey", ip, now)?));
    };
    let user = users::get_user(c, pk.user_id)?;
    if passkeys::find_user_by_handle(c, &handle)? != Some(pk.user_id) {
        return Ok(Err(failed(
            c,
            Some(&user),
            "user handle mismatch",
            ip,
            now,
        )?));
    }
    if user.disabled {
        return Ok(Err(failed(c, Some(&user), "user disabled", ip, now)?));
    }
    Ok(Ok((pk, user, cred_id)))
}

/// Finish a usernameless sign-in: the answer to ceremony `challenge`, for the parked request
/// `pending` (or, outside one, going to `next`).
#[allow(clippy::too_many_arguments)]
pub fn finish(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    challenge: &str,
    response: &Value,
    (pending, next): (Option<&str>, &str),
    browser_cookie: Option<&str>,
    info: &ClientInfo,
) -> Step<Done> {
    let now = visit.now;
    let ip = info.ip.as_deref();
    let rp = match relying_party(settings) {
        Ok(rp) => rp,
        Err(r) => return Ok(Err(r)),
    };
    let Some(ch) = take(c, challenge, ChallengeKind::SignIn, now)? else {
        return Ok(Err(Refusal::Expired));
    };
    let request = match pending {
        Some(h) => match az::unpark(c, h, now)? {
            Some((areq, _)) => Some((h, areq)),
            None => return Ok(Err(Refusal::RequestExpired)),
        },
        None => None,
    };
    let (pk, user, _) = match named_passkey(c, &rp, response, ip, now)? {
        Ok(x) => x,
        Err(r) => return Ok(Err(r)),
    };
    let a = match rp.finish_sign_in(response, &ch.state, &pk.credential) {
        Ok(a) => a,
        Err(e) => {
            let r = refusal(e)?;
            if r == Refusal::Rejected {
                failed(c, Some(&user), "assertion not verified", ip, now)?;
            }
            return Ok(Err(r));
        }
    };
    passkeys::record_passkey_use(c, pk.id, a.updated.as_deref(), a.backup_eligible, now)?;
    let how = How {
        methods: Methods::of(&passkey_methods(&a)),
        detail: Some(json!({"method": "passkey", "passkey": pk.name}).to_string()),
    };
    let signed_in = sign_in::succeeded_with(
        c,
        settings,
        &user,
        &how,
        (visit.cookie.as_deref(), browser_cookie),
        request,
        info,
        now,
    )?;
    let go = sign_in::go_after(pending, next, signed_in.second_factor_due);
    Ok(Ok(Done { signed_in, go }))
}

/// Begin a passkey on top of this browser's session (signed in, or with its second factor
/// due): one of the user's own passkeys.
pub fn begin_second_factor(c: &Tx<'_>, settings: &Settings, visit: &Visit) -> Step<Begun> {
    let rp = match relying_party(settings) {
        Ok(rp) => rp,
        Err(r) => return Ok(Err(r)),
    };
    let Some(b) = visit.browser(c, settings)? else {
        return Ok(Err(Refusal::NotSignedIn));
    };
    let creds: Vec<String> = passkeys::list_user_passkeys(c, b.user.id)?
        .into_iter()
        .map(|p| p.credential)
        .collect();
    if creds.is_empty() {
        return Ok(Err(Refusal::NoPasskey));
    }
    let (options, state) = match rp.begin_second_factor(&creds) {
        Ok(x) => x,
        Err(e) => return Ok(Err(refusal(e)?)),
    };
    let ids = (Some(b.user.id), Some(b.session.id));
    let kind = ChallengeKind::SecondFactor;
    Ok(keep(
        c,
        settings,
        kind,
        ids,
        None,
        state,
        &visit.source,
        visit.now,
    )?
    .map(|challenge| Begun { challenge, options }))
}

/// A step-up done: the new session cookie secret, and where to go.
#[derive(Debug)]
pub struct SteppedUp {
    pub session_secret: String,
    pub go: String,
}

/// Finish a passkey on top of the session that began the ceremony: the session gets the
/// passkey's methods and `auth_time` = now (`login::step_up_with`).
pub fn finish_second_factor(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    challenge: &str,
    response: &Value,
    target: &Target,
    ip: Option<&str>,
) -> Step<SteppedUp> {
    let now = visit.now;
    let rp = match relying_party(settings) {
        Ok(rp) => rp,
        Err(r) => return Ok(Err(r)),
    };
    let Some(ch) = take(c, challenge, ChallengeKind::SecondFactor, now)? else {
        return Ok(Err(Refusal::Expired));
    };
    let Some(b) = visit.browser(c, settings)? else {
        return Ok(Err(Refusal::NotSignedIn));
    };
    if ch.session_id != Some(b.session.id) || ch.user_id != Some(b.user.id) {
        return Ok(Err(Refusal::NotSignedIn));
    }
    let cred_id = match rp.response_credential_id(response) {
        Ok(id) => id,
        Err(e) => return Ok(Err(refusal(e)?)),
    };
    let pk = match passkeys::find_passkey_by_credential_id(c, &cred_id)? {
        Some(pk) if pk.user_id == b.user.id => pk,
        _ => {
            return Ok(Err(failed(
                c,
                Some(&b.user),
                "not this user's passkey",
                ip,
                now,
            )?));
        }
    };
    let a = match rp.finish_second_factor(response, &ch.state, &pk.credential) {
        Ok(a) => a,
        Err(e) => {
            let r = refusal(e)?;
            if r == Refusal::Rejected {
                failed(c, Some(&b.user), "assertion not verified", ip, now)?;
            }
            return Ok(Err(r));
        }
    };
    passkeys::record_passkey_use(c, pk.id, a.updated.as_deref(), a.backup_eligible, now)?;
    let Some(session_secret) = login::step_up_with(c, &b.session, &passkey_methods(&a), now)?
    else {
        return Ok(Err(Refusal::NotSignedIn));
    };
    let detail = json!({"method": "passkey", "passkey": pk.name});
    audit_event(c, "second_factor.succeeded", Some(&b.user), ip, detail, now)?;
    Ok(Ok(SteppedUp {
        session_secret,
        go: target.done_url(),
    }))
}
