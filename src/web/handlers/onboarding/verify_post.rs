//! POST /verify-email/<token>: the address is confirmed (`email_verified` becomes true).

use super::token;
use crate::oidc::links;
use crate::state::AppState;
use crate::store::links::LinkKind;
use crate::web::templates::{MessagePage, Page};
use crate::web::{csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    // An unusable link says so (410) whatever else is wrong with the request.
    if let Err(res) = super::open(&req, &state, LinkKind::VerifyEmail).await {
        return res;
    }
    let form = extract::form(&body);
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        return error::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Open the link from the mail again.",
        );
    }
    let info = extract::client_info(&req, &state.settings);
    let (st, tok) = (state.clone(), token(&req));
    let now = state.clock.now();
    let done =
        web::block(move || st.store.write(|c| links::verify_email(c, &tok, &info, now))).await;
    match done {
        Ok(Ok(Ok(user))) => {
            let message = format!(
                "{} is confirmed as the address of {}.",
                user.email, user.username
            );
            let body = MessagePage {
                title: "Email address confirmed",
                message: &message,
                link_url: "/account",
                link_text: "Go to your account",
            }
            .render_html();
            headers::html(StatusCode::OK, body, &[])
        }
        Ok(Ok(Err(why))) => super::gone(why),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}
