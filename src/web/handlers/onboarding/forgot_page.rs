//! GET /login/forgot: ask for a password reset link by mail (404 when no mail is configured).

use crate::state::AppState;
use crate::web::templates::{ForgotPage, Page};
use crate::web::{csrf, error, headers};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn get_forgot(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if !crate::oidc::mail::enabled(&state.settings) {
        return no_mail();
    }
    render(&req, &state, false, "", None, StatusCode::OK)
}

/// Without mail there is nothing to send a link with: the administrator makes one.
pub fn no_mail() -> HttpResponse {
    error::page(
        StatusCode::NOT_FOUND,
        "Ask your administrator",
        "This server sends no mail. Your administrator can give you a link to choose a new password.",
    )
}

pub fn render(
    req: &HttpRequest,
    state: &AppState,
    sent: bool,
    username: &str,
    err: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let minutes = (state.settings.reset_ttl_secs / 60).max(1).to_string();
    let body = ForgotPage {
        sent,
        username,
        csrf: &token,
        error: err.unwrap_or(""),
        minutes: &minutes,
    }
    .render_html();
    let mut res = headers::html(status, body, &[]);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}
