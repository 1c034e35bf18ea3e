//! /login/second-factor: the second step of a sign-in (see `interaction::second_factor`).
//! `?req=HANDLE` inside an authorization request, `?next=PATH` for our own pages.

use super::authorize::{expired, see_other, visit_of};
use super::login::local_next;
use crate::oidc::authorize::ResponseMode;
use crate::oidc::interaction::second_factor::{self as sf, Ask, Prompt, Submitted, Target};
use crate::oidc::login;
use crate::oidc::login_throttle::{self, Refused};
use crate::oidc::mfa::totp::{self, Enrolment};
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::templates::{Field, Page, RecoveryCodesPage, SecondFactorPage};
use crate::web::{cookies, csrf, error, extract, headers, qr};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// The target of the step from the query or form: a request handle, or an allowed local page.
pub(super) fn target_of(p: &Params) -> Option<Target> {
    match (p.get("req"), p.get("next")) {
        (Some(h), _) => Some(Target::Request(h.to_owned())),
        (None, Some(next)) => local_next(next).map(Target::Page),
        (None, None) => Some(Target::Page("/".to_owned())),
    }
}

fn bad_target() -> HttpResponse {
    error::page(
        StatusCode::BAD_REQUEST,
        "Invalid request",
        "This sign-in step was opened with an address it does not know.",
    )
}

/// What the page may show besides the prompt itself.
#[derive(Default)]
pub(super) struct Extra<'a> {
    pub error: Option<&'a str>,
    /// Setting up an app: (QR SVG, key as text, otpauth URI, sealed enrolment).
    pub enrolment: Option<(&'a str, &'a str, &'a str, &'a str)>,
}

/// The page for a prompt that shows one (anything but `Go` and `Expired`).
pub(super) fn render(
    req: &HttpRequest,
    state: &AppState,
    target: &Target,
    prompt: &Prompt,
    extra: Extra<'_>,
    status: StatusCode,
) -> HttpResponse {
    let (ask, mode): (&Ask, u8) = match prompt {
        Prompt::Code(a) => (a, 0),
        Prompt::Enrol(a) => (a, 1),
        Prompt::PasskeyNeeded { ask, .. } => (ask, 2),
        Prompt::Passkey(a) => (a, 3),
        Prompt::Go(to) => return see_other(to),
        Prompt::Expired => return expired(),
    };
    let (cancel_url, cancel_action, cancel_fields, targets) = match prompt {
        Prompt::PasskeyNeeded {
            cancel: Some((reply, params)),
            ..
        } => {
            let fields = params
                .iter()
                .map(|(name, value)| Field {
                    name,
                    value: value.clone(),
                })
                .collect();
            let url = crate::oidc::authorize::redirect_url(&reply.redirect_uri, params);
            match reply.response_mode {
                ResponseMode::Query => (url, String::new(), Vec::new(), vec![]),
                ResponseMode::FormPost => (
                    String::new(),
                    reply.redirect_uri.clone(),
                    fields,
                    vec![reply.redirect_uri.clone()],
                ),
            }
        }
        // The code form's POST ends at the app after redirects: CSP form-action must allow it.
        _ => (
            String::new(),
            String::new(),
            Vec::new(),
            ask.redirect_uri.clone().into_iter().collect(),
        ),
    };
    let (req_handle, next) = match target {
        Target::Request(h) => (h.as_str(), ""),
        Target::Page(p) => ("", p.as_str()),
    };
    let recovery_left = if ask.enrolled.recovery_total > 0 {
        ask.enrolled.recovery_left.to_string()
    } else {
        String::new()
    };
    let (qr_svg, secret, otpauth_uri, enrolment) = extra.enrolment.unwrap_or_default();
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let body = SecondFactorPage {
        ask_code: mode == 0,
        enrol: mode == 1,
        passkey_needed: mode == 2,
        passkey: mode == 3,
        offer_code: mode == 0
            && (ask.enrolled.totp_since.is_some() || ask.enrolled.recovery_left > 0),
        offer_passkey: matches!(mode, 0 | 3)
            && ask.enrolled.passkeys > 0
            && crate::oidc::passkeys::available(&state.settings),
        app_name: ask.app_name.as_deref().unwrap_or(""),
        username: &ask.browser.user.username,
        error: extra.error.unwrap_or(""),
        csrf: &token,
        req: req_handle,
        next,
        recovery_left: &recovery_left,
        qr_svg,
        secret,
        otpauth_uri,
        enrolment,
        cancel_url: &cancel_url,
        cancel_action: &cancel_action,
        cancel_fields,
        login_url: &target.login_url(),
    }
    .render_html();
    let mut res = headers::html(status, body, &targets);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

/// The page for `prompt`; setting up an app shows `enrolment` (a new one when None or too old).
fn show(
    req: &HttpRequest,
    state: &AppState,
    target: &Target,
    prompt: &Prompt,
    error: Option<&str>,
    enrolment: Option<Enrolment>,
    status: StatusCode,
) -> HttpResponse {
    let Prompt::Enrol(ask) = prompt else {
        let extra = Extra {
            error,
            enrolment: None,
        };
        return render(req, state, target, prompt, extra, status);
    };
    let e = enrolment.unwrap_or_else(|| {
        let now = state.clock.now();
        totp::start(&state.secret_key, &state.settings, &ask.browser.user, now)
    });
    let svg = qr::svg(&e.uri);
    let extra = Extra {
        error,
        enrolment: Some((&svg, &e.secret, &e.uri, &e.token)),
    };
    render(req, state, target, prompt, extra, status)
}

/// GET: the page, or where to go instead.
pub async fn get_second_factor(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(target) = target_of(&extract::query(&req)) else {
        return bad_target();
    };
    let visit = visit_of(&req, &state);
    let st = state.clone();
    let t = target.clone();
    let step = web::block(move || st.store.read(|c| sf::page(c, &st.settings, &visit, &t))).await;
    match step {
        Ok(Ok(prompt)) => show(&req, &state, &target, &prompt, None, None, StatusCode::OK),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}

/// A 429 with `Retry-After`.
fn with_retry_after(mut res: HttpResponse, secs: i64) -> HttpResponse {
    res.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
    res
}

/// POST: a code (an app's or a recovery code), or the first code of an app being set up. Wrong
/// codes go through the sign-in throttle, like wrong passwords (per account and source).
pub async fn post_second_factor(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let form = extract::form(&body);
    let Some(target) = target_of(&form) else {
        return bad_target();
    };
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        return error::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Go back, reload the page and type the code again.",
        );
    }
    let typed = form
        .get("code")
        .unwrap_or("")
        .chars()
        .take(64)
        .collect::<String>();
    let enrolment = form.get("enrolment").map(str::to_owned);
    let visit = visit_of(&req, &state);
    let ip = extract::client_info(&req, &state.settings).ip;
    let now = visit.now;

    // Who is asked (and whether this browser is known to the account), and a code to check
    // counted in the shared sign-in throttle before any check, in one step.
    let browser_cookie = cookies::read(&req, &state.settings, cookies::BROWSER);
    let (st, v, t, ip1) = (state.clone(), visit.clone(), target.clone(), ip.clone());
    let counts = enrolment.is_none();
    let looked = web::block(move || {
        st.store.write(|c| {
            let prompt = sf::page(c, &st.settings, &v, &t)?;
            let begun = match &prompt {
                Prompt::Code(ask) if counts => {
                    let known_browser = login::known_browser_id(
                        c,
                        browser_cookie.as_deref(),
                        &ask.browser.user.username,
                        now,
                    )?;
                    let attempt = login_throttle::Attempt {
                        username: ask.browser.user.username.clone(),
                        ip: ip1,
                        known_browser,
                    };
                    Some(st.throttle.begin(c, &attempt, now)?)
                }
                _ => None,
            };
            Ok::<_, StoreError>((prompt, begun))
        })
    })
    .await;
    let (prompt, begun) = match looked {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let reservation = match (&prompt, begun) {
        (Prompt::Code(_), Some(Ok(r))) => Some(r),
        (Prompt::Code(_), Some(Err(refused))) => {
            let wait = match refused {
                Refused::Wait(w) => w,
                Refused::Busy => 1,
            };
            let msg = format!("Too many wrong codes. Wait {wait} seconds and try again.");
            let page = show(
                &req,
                &state,
                &target,
                &prompt,
                Some(&msg),
                None,
                StatusCode::TOO_MANY_REQUESTS,
            );
            return with_retry_after(page, wait);
        }
        (Prompt::Code(_) | Prompt::Enrol(_), None) => None,
        _ => return show(&req, &state, &target, &prompt, None, None, StatusCode::OK),
    };

    let (st, t, ip2) = (state.clone(), target.clone(), ip.clone());
    let token = enrolment.clone();
    let submitted = web::block(move || {
        st.store.write(|c| {
            let submitted = sf::submit(
                c,
                &st.settings,
                &st.secret_key,
                &visit,
                &t,
                &typed,
                token.as_deref(),
                ip2.as_deref(),
            )?;
            // The throttle is settled in the same write: a right code gives the attempt back,
            // a wrong one keeps it (and may have earned a wait).
            let wait = match (reservation, &submitted) {
                (Some(r), Submitted::SteppedUp { .. }) => {
                    r.succeeded(c)?;
                    None
                }
                (Some(r), Submitted::Wrong(_)) => r.failed(),
                // Nothing was checked: the attempt is given back.
                (Some(r), Submitted::Other(_)) => {
                    r.cancelled(c)?;
                    None
                }
                _ => None,
            };
            Ok::<_, StoreError>((submitted, wait))
        })
    })
    .await;
    let (submitted, wait) = match submitted {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    match submitted {
        Submitted::SteppedUp { go, session_secret } => {
            stepped_up(&state, see_other(&go), session_secret)
        }
        Submitted::Enrolled {
            go,
            session_secret,
            recovery_codes,
            username,
        } => {
            let body = RecoveryCodesPage {
                message: "Two-factor sign-in is on: your authenticator app now gives you a code each time you sign in.",
                username: &username,
                codes: recovery_codes,
                continue_url: &go,
            }
            .render_html();
            stepped_up(
                &state,
                headers::html(StatusCode::OK, body, &[]),
                session_secret,
            )
        }
        Submitted::Wrong(prompt) => {
            if let (Some(secs), Prompt::Code(ask)) = (wait, &prompt) {
                let (st, user, ip) = (state.clone(), ask.browser.user.clone(), ip.clone());
                let audited = web::block(move || {
                    st.store
                        .write(|c| sf::throttled(c, &user, ip.as_deref(), secs, now))
                })
                .await;
                if !matches!(audited, Ok(Ok(()))) {
                    tracing::warn!("could not record a second-factor throttle in the audit log");
                }
            }
            let msg = "That code is not right, or was used already. Type the code your app shows now, or a recovery code.";
            show(
                &req,
                &state,
                &target,
                &prompt,
                Some(msg),
                None,
                StatusCode::UNAUTHORIZED,
            )
        }
        Submitted::EnrolAgain { prompt, expired } => {
            let (msg, again) = if expired {
                (
                    "This setup page was open too long. Scan the new QR code and try again.",
                    None,
                )
            } else {
                let again = match (&prompt, enrolment.as_deref()) {
                    (Prompt::Enrol(ask), Some(tok)) => totp::resume(
                        &state.secret_key,
                        &state.settings,
                        &ask.browser.user,
                        tok,
                        now,
                    ),
                    _ => None,
                };
                (
                    "That code is not right. Check that your app shows this account, and type its current code.",
                    again,
                )
            };
            show(
                &req,
                &state,
                &target,
                &prompt,
                Some(msg),
                again,
                StatusCode::BAD_REQUEST,
            )
        }
        Submitted::Other(prompt) => {
            show(&req, &state, &target, &prompt, None, None, StatusCode::OK)
        }
    }
}

/// The answer after a step-up: the session's new cookie, and a new CSRF token with it.
fn stepped_up(state: &AppState, mut res: HttpResponse, session_secret: String) -> HttpResponse {
    let _ = res.add_cookie(&cookies::session(&state.settings, session_secret));
    let _ = res.add_cookie(&cookies::csrf(
        &state.settings,
        crate::crypto::random::token(),
    ));
    res
}
