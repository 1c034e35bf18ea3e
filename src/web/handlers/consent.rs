//! The consent page (GET) and decision (POST): one step of `oidc::interaction` each.

use super::authorize::{respond, respond_outcome, visit_of};
use crate::oidc::interaction::{self, consent::Page as Step};
use crate::state::AppState;
use crate::web::templates::{ConsentPage, Page};
use crate::web::{csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_consent(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let handle = extract::query(&req).get("req").unwrap_or("").to_owned();
    let visit = visit_of(&req, &state);
    let st = state.clone();
    let h = handle.clone();
    let step = web::block(move || {
        st.store
            .read(|c| interaction::consent::page(c, &st.settings, &visit, &h))
    })
    .await;
    let prompt = match step {
        Ok(Ok(Step::Show(p))) => p,
        Ok(Ok(Step::Go(outcome))) => return respond_outcome(&state, outcome),
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let (token, cookie) = csrf::token_for_form(&req, &state.settings);
    let redirect_uri = &prompt.request.redirect_uri;
    let destination = headers::origin_of(redirect_uri).unwrap_or_else(|| redirect_uri.clone());
    let body = ConsentPage {
        app_name: &prompt.client.name,
        username: &prompt.user.username,
        scopes: prompt.lines.clone(),
        csrf: &token,
        req: &handle,
        destination: &destination,
    }
    .render_html();
    let mut res = headers::html(StatusCode::OK, body, std::slice::from_ref(redirect_uri));
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

pub async fn post_consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let form = extract::form(&body);
    let handle = form.get("req").unwrap_or("").to_owned();
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        return error::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Go back to the application you came from and start signing in again.",
        );
    }
    let allow = match form.get("decision") {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            return error::page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "Choose Allow or Deny.",
            );
        }
    };
    let visit = visit_of(&req, &state);
    let st = state.clone();
    let outcome = web::block(move || {
        st.store.write_short_lived(|c| {
            interaction::consent::decide(c, &st.settings, &visit, &handle, allow)
        })
    })
    .await;
    respond(&state, outcome)
}
