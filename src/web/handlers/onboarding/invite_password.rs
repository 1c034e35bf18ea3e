//! POST /invite/<token>: the password the invited person chose. The link is used, the email
//! verified, and the browser signed in as `/login` would; then on to `/welcome`.

use super::{invite_page, open, password_problem, signed_in, token, welcome_path};
use crate::crypto::password;
use crate::crypto::password_pool::PoolError;
use crate::oidc::links::{self, Browser};
use crate::state::AppState;
use crate::store::links::LinkKind;
use crate::web::{cookies, csrf, error, extract};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let opened = match open(&req, &state, LinkKind::Invite).await {
        Ok(o) => o,
        Err(res) => return res,
    };
    let form = extract::form(&body);
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        let msg = "This form expired. Please try again.";
        return invite_page::render(&req, &state, &opened, Some(msg), StatusCode::FORBIDDEN).await;
    }
    let new = form.get("new_password").unwrap_or("").to_owned();
    let confirm = form.get("confirm_password").unwrap_or("");
    if let Some(msg) = password_problem(&new, confirm) {
        return invite_page::render(&req, &state, &opened, Some(&msg), StatusCode::BAD_REQUEST)
            .await;
    }
    let hashed = state.passwords.run(move || password::hash(&new)).await;
    let hash = match hashed {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return error::internal(e),
        Err(PoolError::QueueFull) => {
            let msg = "Too many people are signing in right now. Try again in a few seconds.";
            return invite_page::render(
                &req,
                &state,
                &opened,
                Some(msg),
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await;
        }
        Err(e) => return error::internal(e),
    };
    let browser = Browser {
        session_cookie: cookies::read(&req, &state.settings, cookies::SESSION),
        browser_cookie: cookies::read(&req, &state.settings, cookies::BROWSER),
        info: extract::client_info(&req, &state.settings),
    };
    let (st, tok) = (state.clone(), token(&req));
    let now = state.clock.now();
    let done = web::block(move || {
        st.store.write(|c| {
            links::accept_invite_with_password(c, &st.settings, &tok, &hash, &browser, now)
        })
    })
    .await;
    state.mail_nudge.notify_one();
    match done {
        Ok(Ok(Ok(accepted))) => signed_in(
            &state,
            accepted.signed_in,
            &welcome_path(accepted.client_id.as_deref()),
        ),
        Ok(Ok(Err(why))) => super::gone(why),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}
