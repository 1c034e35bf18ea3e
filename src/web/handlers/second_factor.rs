//! /login/second-factor: the second step of a sign-in (see `interaction::second_factor`).
//! `?req=HANDLE` inside an authorization request, `?next=PATH` for our own pages.

use super::authorize::{expired, see_other, visit_of};
use super::login::local_next;
use crate::oidc::authorize::ResponseMode;
use crate::oidc::interaction::second_factor::{self as sf, Ask, Prompt, Target};
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::web::templates::{Field, Page, SecondFactorPage};
use crate::web::{csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web;
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
        _ => (String::new(), String::new(), Vec::new(), vec![]),
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
        Ok(Ok(prompt)) => render(
            &req,
            &state,
            &target,
            &prompt,
            Extra::default(),
            StatusCode::OK,
        ),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}
