//! The Device Authorization Grant (RFC 8628): the device authorization endpoint (POST, for the
//! device), and the verification page /device (for the person): enter the code, see which app
//! asks for what, allow or deny.

use super::authorize::{see_other, visit_of};
use crate::domain::UserCode;
use crate::metrics::Throttle;
use crate::oidc::device;
use crate::oidc::interaction::{self, SECOND_FACTOR_PAGE, device::Verification};
use crate::oidc::login::{self, Browser};
use crate::state::AppState;
use crate::store::users::User;
use crate::web::client_endpoint::{call_cors, no_store_json};
use crate::web::templates::{DeviceConfirmPage, DeviceDonePage, DevicePage, Page};
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// POST /device_authorization (RFC 8628 §3.1): client authentication as at /token.
pub async fn post_device_authorization(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let ip = extract::client_info(&req, &state.settings).ip;
    let source = crate::oidc::throttle::source(ip.as_deref());
    let res = call_cors(
        &req,
        &state,
        &body,
        move |store, _, settings, now, auth, p| {
            device::device_authorization(store, settings, now, auth, p, &source)
        },
    )
    .await
    .respond(|resp| no_store_json(&resp));
    // 429 here only ever means too many unfinished device authorizations from this address.
    if res.status() == StatusCode::TOO_MANY_REQUESTS {
        state.metrics.throttled(Throttle::PendingRequests);
    }
    res
}

const NOT_FOUND: &str = "That code is not valid, was already used, or has expired. Check the code on your device and try again.";

/// What a person typed, kept short, to show again in the form (escaped by the template).
fn typed(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or("").trim();
    match UserCode::parse(raw) {
        Ok(code) => code.display(),
        Err(_) => raw.chars().take(16).collect(),
    }
}

/// The person of this browser, if any, signed in or with a second factor still due.
async fn signed_in(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<Option<Browser>, HttpResponse> {
    let Some(cookie) = cookies::read(req, &state.settings, cookies::SESSION) else {
        return Ok(None);
    };
    let st = state.clone();
    match web::block(move || {
        st.store
            .read(|c| login::browser_session(c, &cookie, &st.settings, st.clock.now()))
    })
    .await
    {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(error::store(e)),
        Err(e) => Err(error::internal(e)),
    }
}

/// This page again afterwards (with the code, when it is one).
fn back_here(code: &str) -> String {
    match UserCode::parse(code) {
        Ok(c) => format!("/device?user_code={}", c.display()),
        Err(_) => "/device".to_owned(),
    }
}

/// To the login page, which comes back here afterwards.
fn to_login(code: &str) -> HttpResponse {
    let query = serde_urlencoded::to_string([("next", back_here(code))]).unwrap_or_default();
    see_other(&format!("/login?{query}"))
}

/// To the second-factor page, which comes back here afterwards.
fn to_second_factor(code: &str) -> HttpResponse {
    let query = serde_urlencoded::to_string([("next", back_here(code))]).unwrap_or_default();
    see_other(&format!("/{SECOND_FACTOR_PAGE}?{query}"))
}

/// The code entry form.
fn entry_page(
    req: &HttpRequest,
    state: &AppState,
    user: &User,
    user_code: &str,
    err: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let body = DevicePage {
        username: &user.username,
        user_code,
        error: err.unwrap_or(""),
        csrf: &token,
    }
    .render_html();
    let mut res = headers::html(status, body, &[]);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

/// GET /device[?user_code=...]: the entry form, pre-filled from `verification_uri_complete`.
/// Nothing is looked up here: a code is only checked when the person submits it.
pub async fn get_device(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let code = typed(extract::query(&req).get("user_code"));
    match signed_in(&req, &state).await {
        Ok(Some(b)) if b.complete() => {
            entry_page(&req, &state, &b.user, &code, None, StatusCode::OK)
        }
        Ok(Some(_)) => to_second_factor(&code),
        Ok(None) => to_login(&code),
        Err(res) => res,
    }
}

/// POST /device: a code typed on the entry form (answered with the confirmation page), or a
/// decision on the confirmation page (`decision` = `allow` / `deny`). Either way the code is
/// looked up again, so every lookup is throttled alike.
pub async fn post_device(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let form = extract::form(&body);
    let code = typed(form.get("user_code"));
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        return error::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Open the device page again and enter the code once more.",
        );
    }
    let decision = match form.get("decision") {
        None => None,
        Some("allow") => Some(true),
        Some("deny") => Some(false),
        Some(_) => {
            return error::page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "Choose Allow or Deny.",
            );
        }
    };
    let visit = visit_of(&req, &state);
    let ip = extract::client_info(&req, &state.settings).ip;
    let parsed = UserCode::parse(&code).ok();
    let st = state.clone();
    let step = web::block(move || {
        st.store.write(|c| {
            interaction::device::submit(
                c,
                &st.settings,
                &st.device_throttle,
                &visit,
                ip.as_deref(),
                parsed.as_ref(),
                decision,
            )
        })
    })
    .await;
    let step = match step {
        Ok(Ok(step)) => step,
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    match step {
        Verification::NotSignedIn => to_login(&code),
        Verification::SecondFactorDue => to_second_factor(&code),
        Verification::Wait { user, secs } => {
            state.metrics.throttled(Throttle::DeviceCode);
            let msg = format!("Too many wrong codes. Wait {secs} seconds and try again.");
            let mut res = entry_page(
                &req,
                &state,
                &user,
                &code,
                Some(&msg),
                StatusCode::TOO_MANY_REQUESTS,
            );
            res.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
            res
        }
        Verification::NotFound { user } => entry_page(
            &req,
            &state,
            &user,
            &code,
            Some(NOT_FOUND),
            StatusCode::BAD_REQUEST,
        ),
        Verification::NoAccess { user, app_name } => error::page(
            StatusCode::FORBIDDEN,
            &format!("You don't have access to {app_name}"),
            &format!(
                "You are signed in as {}, and this account is not allowed to use {app_name}. Ask your administrator to add you to a group that may use it.",
                user.username
            ),
        ),
        Verification::Confirm {
            user,
            app_name,
            scopes,
        } => {
            let (token, cookie) = csrf::token_for_form(&req, &state.settings);
            let body = DeviceConfirmPage {
                app_name: &app_name,
                username: &user.username,
                user_code: &code,
                scopes,
                csrf: &token,
            }
            .render_html();
            let mut res = headers::html(StatusCode::OK, body, &[]);
            if let Some(c) = cookie {
                let _ = res.add_cookie(&c);
            }
            res
        }
        Verification::Decided {
            user,
            app_name,
            allowed,
        } => {
            let (title, message) = if allowed {
                (
                    "Device connected",
                    format!(
                        "{app_name} can now use your account ({}) on your device. It will continue there in a few seconds.",
                        user.username
                    ),
                )
            } else {
                (
                    "Request denied",
                    format!("{app_name} was not given access to your account."),
                )
            };
            let body = DeviceDonePage {
                title,
                message: &message,
            }
            .render_html();
            headers::html(StatusCode::OK, body, &[])
        }
        // Decided in another tab, or expired since the page was shown.
        Verification::Gone { .. } => error::page(
            StatusCode::BAD_REQUEST,
            "This code is no longer valid",
            NOT_FOUND,
        ),
    }
}
