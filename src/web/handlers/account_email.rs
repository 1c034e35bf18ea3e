//! POST /account/email: a new email address (a fresh sign-in required). It is unverified until
//! the link mailed to it is used; the old address gets a notice.

use super::account::{checked_form, form_expired, render, step};
use crate::oidc::account::{self, Action};
use crate::oidc::links::{self, EmailChange};
use crate::state::AppState;
use crate::web::handlers::authorize::see_other;
use crate::web::{error, extract};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_account_email(
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
    let now = state.clock.now();
    if !account::is_fresh(&page.session, &state.settings, now) {
        return see_other("/login?reauth=1&next=/account");
    }
    let typed = form.get("email").unwrap_or("").to_owned();
    let info = extract::client_info(&req, &state.settings);
    let (st, user) = (state.clone(), page.user.clone());
    let done = web::block(move || {
        st.store.write(|c| {
            links::change_email(c, &st.settings, &st.secret_key, &user, &typed, &info, now)
        })
    })
    .await;
    state.mail_nudge.notify_one();
    let (msg, err, status) = match done {
        Ok(Ok(Ok(EmailChange::Mailed))) => (
            Some("Your email address was changed. Open the link we mailed to it to confirm it."),
            None,
            StatusCode::OK,
        ),
        Ok(Ok(Ok(EmailChange::Unverified))) => (
            Some("Your email address was changed."),
            None,
            StatusCode::OK,
        ),
        Ok(Ok(Err(why))) => (
            None,
            Some(format!("Check the address: {why}.")),
            StatusCode::BAD_REQUEST,
        ),
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let page = match step(&req, &state, Action::Show).await {
        Ok((_, page)) => page,
        Err(res) => return res,
    };
    render(&req, &state, &page, msg, err.as_deref(), status)
}
