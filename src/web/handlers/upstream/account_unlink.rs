//! POST `/account/upstream/unlink`: the account page unlinks one of the user's identities at
//! an upstream provider — after a recent sign-in, and never the last way in.

use crate::oidc::account::{self, Action};
use crate::oidc::upstream::unlink::{self, Unlinked};
use crate::state::AppState;
use crate::web::error;
use crate::web::handlers::account::{checked_form, form_expired, render, step};
use crate::web::handlers::authorize::see_other;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_account_upstream_unlink(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let Some(form) = checked_form(&req, &state, &body) else {
        return form_expired();
    };
    let page = match step(&req, &state, Action::Show).await {
        Ok((_, page)) => page,
        Err(res) => return res,
    };
    if !account::is_fresh(&page.session, &state.settings, state.clock.now()) {
        return see_other("/login?reauth=1&next=/account");
    }
    let id = form
        .get("id")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let (st, user) = (state.clone(), page.user.clone());
    let done = web::block(move || {
        let now = st.clock.now();
        st.store.write(|c| unlink::unlink_own(c, &user, id, now))
    })
    .await;
    let outcome = match done {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let page = match step(&req, &state, Action::Show).await {
        Ok((_, page)) => page,
        Err(res) => return res,
    };
    let (msg, err, status) = match outcome {
        Unlinked::Done => (
            Some("Unlinked. That provider no longer signs you in here."),
            None,
            StatusCode::OK,
        ),
        Unlinked::NotFound => (
            None,
            Some("That link no longer exists."),
            StatusCode::NOT_FOUND,
        ),
        Unlinked::LastWayIn => (
            None,
            Some(
                "This is your only way to sign in here: add a passkey or link another provider first.",
            ),
            StatusCode::CONFLICT,
        ),
    };
    render(&req, &state, &page, msg, err, status)
}
