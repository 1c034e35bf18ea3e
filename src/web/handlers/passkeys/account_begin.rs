//! POST /account/passkeys/begin: the options for adding a passkey named `name` to the signed-in
//! account (a sign-in within `reauth_secs` required: 403 `reauth_required` otherwise).

use super::{answer, begun, parse};
use crate::oidc::passkeys::enrol;
use crate::state::AppState;
use crate::web::handlers::authorize::visit_of;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_account_passkeys_begin(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let ask = match parse(&req, &state, &body) {
        Ok(a) => a,
        Err(res) => return res,
    };
    let visit = visit_of(&req, &state);
    let name = ask.name.unwrap_or_default();
    let st = state.clone();
    let outcome = web::block(move || {
        st.store
            .write(|c| enrol::begin(c, &st.settings, &visit, &name))
    })
    .await;
    match answer(outcome) {
        Ok(b) => begun(b),
        Err(res) => res,
    }
}
