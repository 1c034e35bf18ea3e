//! POST /login/passkey/begin: the options for a passkey sign-in (usernameless, for the login
//! page's button and its conditional UI), or — `"purpose": "second_factor"` — for a passkey on
//! top of this browser's session (the second-factor page).

use super::{answer, begun, parse};
use crate::oidc::passkeys::sign_in;
use crate::state::AppState;
use crate::web::handlers::authorize::visit_of;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_login_passkey_begin(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let ask = match parse(&req, &state, &body) {
        Ok(a) => a,
        Err(res) => return res,
    };
    let visit = visit_of(&req, &state);
    let st = state.clone();
    let outcome = web::block(move || {
        st.store.write(|c| {
            if ask.second_factor() {
                sign_in::begin_second_factor(c, &st.settings, &visit)
            } else {
                sign_in::begin(c, &st.settings, &visit)
            }
        })
    })
    .await;
    match answer(outcome) {
        Ok(b) => begun(b),
        Err(res) => res,
    }
}
