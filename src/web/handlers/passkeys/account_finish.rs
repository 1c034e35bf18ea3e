//! POST /account/passkeys/finish: the browser's answer to adding a passkey; the passkey is
//! registered (audited `passkey.added`) and the script goes back to the account page.

use super::{answer, error, parse, reply};
use crate::oidc::passkeys::enrol;
use crate::state::AppState;
use crate::web::handlers::authorize::visit_of;
use crate::web::{cookies, extract};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

pub async fn post_account_passkeys_finish(
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
    let visit = visit_of(&req, &state);
    let ip = extract::client_info(&req, &state.settings).ip;
    let st = state.clone();
    let outcome = web::block(move || {
        st.store.write(|c| {
            enrol::finish(
                c,
                &st.settings,
                &visit,
                &challenge,
                &credential,
                ip.as_deref(),
            )
        })
    })
    .await;
    match answer(outcome) {
        Ok(added) => {
            let mut res = reply(
                StatusCode::OK,
                json!({"redirect": "/account", "name": added.name}),
            );
            // The session stepped up with the new passkey: a new cookie secret.
            if let Some(secret) = added.session_secret {
                let _ = res.add_cookie(&cookies::session(&state.settings, secret));
            }
            res
        }
        Err(res) => res,
    }
}
