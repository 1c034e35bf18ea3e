//! POST /admin/apps/{client_id}/{action}: rotate the secret (shown once), save the settings.

use super::{form_from, form_of, group_names, render};
use crate::oidc::admin::{self, AdminError};
use crate::state::AppState;
use crate::web::error;
use crate::web::handlers::admin::{as_admin, as_admin_post, refusal_status, segment};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_app_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let client_id = segment(&req, "client_id");
    match segment(&req, "action").as_str() {
        "rotate-secret" => rotate(&req, &state, &body, client_id).await,
        _ => match as_admin(&req, &state, |_, _, _| Ok(())).await {
            Ok(_) => error::page(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such admin page.",
            ),
            Err(res) => res,
        },
    }
}

async fn rotate(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &Bytes,
    client_id: String,
) -> HttpResponse {
    let done = as_admin_post(req, state, body, move |c, a, _, now| {
        let secret = admin::clients::rotate_secret(c, a, now, &client_id)?;
        let d = admin::clients::show(c, &client_id)?;
        Ok::<_, AdminError>((group_names(c)?, d, secret))
    })
    .await;
    match done {
        Ok((ctx, Ok((groups, d, secret)))) => {
            let form = form_of(&d, &groups);
            let message = "New secret made: the old one no longer works.";
            render(
                &ctx,
                StatusCode::OK,
                &state.settings.issuer,
                &d,
                form,
                (message, ""),
                &secret,
            )
        }
        Ok((_, Err(e))) => error::page(refusal_status(&e), "Not changed", &e.to_string()),
        Err(res) => res,
    }
}

// Saving the settings form (`update`) lands with `client update`'s full-state form.
#[allow(dead_code)]
fn unused(f: &crate::oidc::params::Params) -> crate::web::templates::admin::apps::AppForm {
    form_from(f, &[])
}
