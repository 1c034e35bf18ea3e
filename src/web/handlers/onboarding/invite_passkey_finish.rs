//! POST /invite/<token>/passkey/finish: the browser's new passkey. The link is used, the
//! passkey stored, the email verified, and the browser signed in with the passkey; the script
//! goes on to `/welcome`.

use super::{add_sign_in_cookies, welcome_path};
use crate::oidc::links::{self, Browser};
use crate::state::AppState;
use crate::web::handlers::passkeys::{answer, error, parse, reply};
use crate::web::{cookies, extract};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

pub async fn post_invite_passkey_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let ask = match parse(&req, &state, &body) {
        Ok(a) => a,
        Err(res) => return res,
    };
    let (Some(challenge), Some(credential)) = (ask.challenge, ask.credential) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Send the challenge and the credential.",
        );
    };
    let browser = Browser {
        session_cookie: cookies::read(&req, &state.settings, cookies::SESSION),
        browser_cookie: cookies::read(&req, &state.settings, cookies::BROWSER),
        info: extract::client_info(&req, &state.settings),
    };
    let (st, tok) = (state.clone(), super::token(&req));
    let now = state.clock.now();
    let outcome = web::block(move || {
        st.store.write(|c| {
            links::invite_passkey_finish(
                c,
                &st.settings,
                &tok,
                &challenge,
                &credential,
                &browser,
                now,
            )
        })
    })
    .await;
    state.mail_nudge.notify_one();
    match answer(outcome) {
        Ok(accepted) => {
            let go = welcome_path(accepted.client_id.as_deref());
            let mut res = reply(StatusCode::OK, json!({ "redirect": go }));
            add_sign_in_cookies(&mut res, &state, accepted.signed_in);
            res
        }
        Err(res) => res,
    }
}
