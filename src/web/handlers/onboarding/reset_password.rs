//! POST /reset/<token>: the new password. Every session and refresh token of the user ends
//! (this browser's too); they sign in as usual next, second factor included.

use super::{open, password_problem, reset_page, token};
use crate::crypto::password;
use crate::crypto::password_pool::PoolError;
use crate::oidc::links;
use crate::state::AppState;
use crate::store::links::LinkKind;
use crate::web::templates::{MessagePage, Page};
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_reset(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    let opened = match open(&req, &state, LinkKind::Reset).await {
        Ok(o) => o,
        Err(res) => return res,
    };
    let username = opened.user.username.clone();
    let form = extract::form(&body);
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        let msg = "This form expired. Please try again.";
        return reset_page::render(&req, &state, &username, Some(msg), StatusCode::FORBIDDEN);
    }
    let new = form.get("new_password").unwrap_or("").to_owned();
    let confirm = form.get("confirm_password").unwrap_or("");
    if let Some(msg) = password_problem(&new, confirm) {
        return reset_page::render(&req, &state, &username, Some(&msg), StatusCode::BAD_REQUEST);
    }
    let hash = match state.passwords.run(move || password::hash(&new)).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return error::internal(e),
        Err(PoolError::QueueFull) => {
            let msg = "Too many people are signing in right now. Try again in a few seconds.";
            let status = StatusCode::SERVICE_UNAVAILABLE;
            return reset_page::render(&req, &state, &username, Some(msg), status);
        }
        Err(e) => return error::internal(e),
    };
    let info = extract::client_info(&req, &state.settings);
    let (st, tok) = (state.clone(), token(&req));
    let now = state.clock.now();
    let done = web::block(move || {
        st.store
            .write(|c| links::reset_password(c, &st.settings, &tok, &hash, &info, now))
    })
    .await;
    // Sessions ended: their apps hear it by back-channel logout; the notice mail goes out.
    state.outbox_nudge.notify_one();
    state.mail_nudge.notify_one();
    match done {
        Ok(Ok(Ok(_))) => {
            let body = MessagePage {
                title: "Your password was changed",
                message: "You were signed out everywhere. Sign in with your new password.",
                link_url: "/login?next=/account",
                link_text: "Sign in",
            }
            .render_html();
            let mut res = headers::html(StatusCode::OK, body, &[]);
            let _ = res.add_cookie(&cookies::removal(&state.settings, cookies::SESSION));
            res
        }
        Ok(Ok(Err(why))) => super::gone(why),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}
