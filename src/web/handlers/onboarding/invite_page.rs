//! GET /invite/<token>: choose a password or a passkey (410 when the link does not work).

use super::open;
use crate::state::AppState;
use crate::store::links::LinkKind;
use crate::web::handlers::account::show_time;
use crate::web::templates::{InvitePage, Page};
use crate::web::{csrf, error, headers};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn get_invite(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let opened = match open(&req, &state, LinkKind::Invite).await {
        Ok(o) => o,
        Err(res) => return res,
    };
    render(&req, &state, &opened, None, StatusCode::OK).await
}

/// The invite page for a usable link, with an error when a password was refused.
pub async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    opened: &crate::oidc::links::Opened,
    err: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let st = state.clone();
    let client = opened.link.client_id.clone();
    let dest = web::block(move || {
        st.store
            .read(|c| crate::oidc::links::destination(c, client.as_deref()))
    })
    .await;
    let app_name = match dest {
        Ok(Ok(d)) => d.app_name.unwrap_or_default(),
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let action = req.path().to_owned();
    let body = InvitePage {
        username: &opened.user.username,
        app_name: &app_name,
        passkeys: crate::oidc::passkeys::available(&state.settings),
        action: &action,
        csrf: &token,
        error: err.unwrap_or(""),
        expires: &show_time(opened.link.expires_at),
    }
    .render_html();
    let mut res = headers::html(status, body, &[]);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}
