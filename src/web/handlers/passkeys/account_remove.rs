//! POST /account/passkeys/remove (the account page's form, `id`): remove one of the user's
//! passkeys, after a fresh sign-in, unless it is the account's last way in.

use crate::oidc::account::Action;
use crate::oidc::passkeys::{Refusal, enrol};
use crate::state::AppState;
use crate::web::handlers::account::{checked_form, form_expired, render, step};
use crate::web::handlers::authorize::{see_other, visit_of};
use crate::web::{error, extract};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_account_passkeys_remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let Some(form) = checked_form(&req, &state, &body) else {
        return form_expired();
    };
    let id = form
        .get("id")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let visit = visit_of(&req, &state);
    let ip = extract::client_info(&req, &state.settings).ip;
    let st = state.clone();
    let outcome = web::block(move || {
        st.store
            .write(|c| enrol::remove(c, &st.settings, &visit, id, ip.as_deref()))
    })
    .await;
    let (msg, err, status) = match outcome {
        Ok(Ok(Ok(gone))) => (
            Some(format!("The passkey “{}” was removed.", gone.name)),
            None,
            StatusCode::OK,
        ),
        Ok(Ok(Err(Refusal::NotSignedIn))) => return see_other(super::REAUTH_URL),
        Ok(Ok(Err(r))) => {
            let (text, status) = match r {
                Refusal::NotFresh => (
                    "Sign in again before you remove a passkey.",
                    StatusCode::FORBIDDEN,
                ),
                Refusal::LastWayIn => (
                    "This passkey is the only way into your account, so it cannot be removed. Add another passkey first.",
                    StatusCode::CONFLICT,
                ),
                _ => ("That passkey no longer exists.", StatusCode::NOT_FOUND),
            };
            (None, Some(text.to_owned()), status)
        }
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    match step(&req, &state, Action::Show).await {
        Ok((_, page)) => render(&req, &state, &page, msg.as_deref(), err.as_deref(), status),
        Err(res) => res,
    }
}
