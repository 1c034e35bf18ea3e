//! POST /invite/<token>/passkey/begin: the options for registering a passkey from an invite
//! (JSON, as `/account/passkeys/begin`; 410 `link_gone` when the link does not work).

use crate::oidc::links;
use crate::state::AppState;
use crate::web::handlers::authorize::visit_of;
use crate::web::handlers::passkeys::{answer, begun, parse};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_invite_passkey_begin(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let ask = match parse(&req, &state, &body) {
        Ok(a) => a,
        Err(res) => return res,
    };
    let visit = visit_of(&req, &state);
    let (name, tok) = (ask.name.unwrap_or_default(), super::token(&req));
    let st = state.clone();
    let outcome = web::block(move || {
        st.store
            .write(|c| links::invite_passkey_begin(c, &st.settings, &tok, &name, &visit))
    })
    .await;
    match answer(outcome) {
        Ok(b) => begun(b),
        Err(res) => res,
    }
}
