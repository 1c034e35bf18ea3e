//! GET /verify-email/<token>: a button to confirm the address (the link alone changes nothing:
//! mail scanners open links).

use super::open;
use crate::state::AppState;
use crate::store::links::LinkKind;
use crate::web::templates::{Page, VerifyEmailPage};
use crate::web::{csrf, headers};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn get_verify_email(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let opened = match open(&req, &state, LinkKind::VerifyEmail).await {
        Ok(o) => o,
        Err(res) => return res,
    };
    let (token, cookie) = csrf::token_for_form(&req, &state.settings);
    let email = opened.link.email.as_deref().unwrap_or(&opened.user.email);
    let body = VerifyEmailPage {
        username: &opened.user.username,
        email,
        action: req.path(),
        csrf: &token,
    }
    .render_html();
    let mut res = headers::html(StatusCode::OK, body, &[]);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}
