//! POST /account/notices: turn the notice mails (password, sign-in methods, new browsers) on
//! (`notices=on`) or off.

use super::account::{checked_form, form_expired, render, step};
use crate::oidc::account::Action;
use crate::oidc::links;
use crate::state::AppState;
use crate::web::{error, extract};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_account_notices(
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
    let on = form.get("notices") == Some("on");
    let info = extract::client_info(&req, &state.settings);
    let now = state.clock.now();
    let (st, user) = (state.clone(), page.user.clone());
    let done = web::block(move || {
        st.store
            .write(|c| links::set_security_notices(c, &user, on, &info, now))
    })
    .await;
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    }
    let page = match step(&req, &state, Action::Show).await {
        Ok((_, page)) => page,
        Err(res) => return res,
    };
    let msg = if on {
        "Notice mails are on."
    } else {
        "Notice mails are off."
    };
    render(&req, &state, &page, Some(msg), None, StatusCode::OK)
}
