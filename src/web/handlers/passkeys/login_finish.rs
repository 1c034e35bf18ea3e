//! POST /login/passkey/finish: the browser's answer to a passkey sign-in. Signed in, the
//! browser gets its new session cookie and `{"redirect": URL}`: back into the authorization
//! request, or to the page it came for. With `"purpose": "second_factor"` the passkey steps up
//! the browser's session instead.
//!
//! A rejected answer counts as a failed sign-in from its source in the login throttle (a
//! passkey has no account to count under until it is verified).

use super::{CeremonyRequest, error, parse, refused, reply, store_failed, too_many};
use crate::oidc::interaction::Visit;
use crate::oidc::login::ClientInfo;
use crate::oidc::login_throttle::{Attempt, Refused};
use crate::oidc::passkeys::{Refusal, sign_in};
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::handlers::authorize::visit_of;
use crate::web::handlers::login::local_next;
use crate::web::throttle::{self, Settle};
use crate::web::{cookies, extract};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Value, json};

/// The throttle's view of a passkey answer: no username (it is not known until the answer is
/// verified), counted per source. The per-source "browser" keeps passkey failures out of the
/// per-account spread counter, which would otherwise let anyone block passkeys for everyone.
fn attempt(visit: &Visit, ip: Option<String>) -> Attempt {
    Attempt {
        username: "(passkey)".to_owned(),
        ip,
        known_browser: Some(format!("passkey:{}", visit.source)),
    }
}

/// What one finish did: an answer to send, and whether a passkey answer was rejected (a
/// failure the throttle keeps) or nothing was checked (the attempt is given back).
enum Verdict {
    Signed(HttpResponse),
    Refused(Refusal),
    Failed(HttpResponse),
}

fn verdict<T>(
    outcome: Result<Result<Result<T, Refusal>, StoreError>, actix_web::error::BlockingError>,
    ok: impl FnOnce(T) -> HttpResponse,
) -> Verdict {
    match outcome {
        Ok(Ok(Ok(x))) => Verdict::Signed(ok(x)),
        Ok(Ok(Err(r))) => Verdict::Refused(r),
        Ok(Err(e)) => Verdict::Failed(store_failed(e)),
        Err(e) => Verdict::Failed(super::internal(e)),
    }
}

pub async fn post_login_passkey_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let ask = match parse(&req, &state, &body) {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (Some(challenge), Some(credential)) = (ask.challenge.clone(), ask.credential.clone())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Send the challenge and the credential.",
        );
    };
    let visit = visit_of(&req, &state);
    let info = extract::client_info(&req, &state.settings);
    let reservation =
        match throttle::begin(&state, attempt(&visit, info.ip.clone()), visit.now).await {
            Ok(Ok(Ok(r))) => r,
            Ok(Err(e)) => return store_failed(e),
            Err(e) => return super::internal(e),
            Ok(Ok(Err(Refused::Wait(wait)))) => {
                let msg =
                    format!("Too many failed sign-in attempts. Wait {wait} seconds and try again.");
                return too_many(&msg, wait);
            }
            Ok(Ok(Err(Refused::Busy))) => {
                return too_many("A sign-in is already being checked. Try again.", 1);
            }
        };
    let v = if ask.second_factor() {
        second_factor(&req, &state, visit, &ask, challenge, credential, info).await
    } else {
        first_factor(&req, &state, visit, &ask, challenge, credential, info).await
    };
    match v {
        Verdict::Signed(res) => {
            throttle::settle(&state, reservation, Settle::Succeeded).await;
            res
        }
        Verdict::Refused(r) => {
            if r == Refusal::Rejected {
                if let Some(wait) = reservation.failed() {
                    let msg = format!(
                        "This passkey was not accepted. Too many failed attempts: wait {wait} seconds."
                    );
                    return too_many(&msg, wait);
                }
            } else {
                throttle::settle(&state, reservation, Settle::Cancelled).await;
            }
            refused(&r)
        }
        Verdict::Failed(res) => {
            throttle::settle(&state, reservation, Settle::Cancelled).await;
            res
        }
    }
}

/// A new session cookie, a new CSRF token (forms from before stop working) and where to go.
fn signed_in(
    state: &AppState,
    secret: String,
    new_browser: Option<String>,
    go: String,
) -> HttpResponse {
    let mut res = reply(StatusCode::OK, json!({ "redirect": go }));
    let _ = res.add_cookie(&cookies::session(&state.settings, secret));
    if let Some(b) = new_browser {
        let _ = res.add_cookie(&cookies::browser(&state.settings, b));
    }
    let _ = res.add_cookie(&cookies::csrf(
        &state.settings,
        crate::crypto::random::token(),
    ));
    res
}

async fn first_factor(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    visit: Visit,
    ask: &CeremonyRequest,
    challenge: String,
    credential: Value,
    info: ClientInfo,
) -> Verdict {
    let browser = cookies::read(req, &state.settings, cookies::BROWSER);
    let pending = ask.req.clone();
    let next = match ask.next.as_deref().map(local_next) {
        None => "/".to_owned(),
        Some(Some(n)) => n,
        Some(None) => return Verdict::Refused(Refusal::Malformed("next".into())),
    };
    let st = state.clone();
    let outcome = web::block(move || {
        st.store.write(|c| {
            sign_in::finish(
                c,
                &st.settings,
                &visit,
                &challenge,
                &credential,
                (pending.as_deref(), &next),
                browser.as_deref(),
                &info,
            )
        })
    })
    .await;
    verdict(outcome, |d| {
        signed_in(
            state,
            d.signed_in.session_secret,
            d.signed_in.new_browser,
            d.go,
        )
    })
}

async fn second_factor(
    _req: &HttpRequest,
    state: &web::Data<AppState>,
    visit: Visit,
    ask: &CeremonyRequest,
    challenge: String,
    credential: Value,
    info: ClientInfo,
) -> Verdict {
    let Some(target) = ask.target() else {
        return Verdict::Refused(Refusal::Malformed("next".into()));
    };
    let st = state.clone();
    let outcome = web::block(move || {
        st.store.write(|c| {
            sign_in::finish_second_factor(
                c,
                &st.settings,
                &visit,
                &challenge,
                &credential,
                &target,
                info.ip.as_deref(),
            )
        })
    })
    .await;
    verdict(outcome, |d| signed_in(state, d.session_secret, None, d.go))
}
