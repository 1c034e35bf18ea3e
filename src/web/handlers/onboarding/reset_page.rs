//! GET /reset/<token>: choose a new password (410 when the link does not work).

use super::open;
use crate::state::AppState;
use crate::store::links::LinkKind;
use crate::web::templates::{Page, ResetPage};
use crate::web::{csrf, headers};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn get_reset(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let opened = match open(&req, &state, LinkKind::Reset).await {
        Ok(o) => o,
        Err(res) => return res,
    };
    render(&req, &state, &opened.user.username, None, StatusCode::OK)
}

pub fn render(
    req: &HttpRequest,
    state: &AppState,
    username: &str,
    err: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let body = ResetPage {
        username,
        action: req.path(),
        csrf: &token,
        error: err.unwrap_or(""),
    }
    .render_html();
    let mut res = headers::html(status, body, &[]);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}
