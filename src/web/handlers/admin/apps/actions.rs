//! POST /admin/apps/{client_id}/{action}: rotate the secret (shown once), save the settings.

use super::{form_from, form_of, group_names, render, settings_from};
use crate::oidc::admin::clients::ClientUpdate;
use crate::oidc::admin::{self, AdminError};
use crate::state::AppState;
use crate::web::handlers::admin::{as_admin, as_admin_post, enc, refusal_status, segment};
use crate::web::handlers::authorize::see_other;
use crate::web::{error, extract};
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
        "update" => update(&req, &state, &body, client_id).await,
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

/// Save the settings form: the app becomes exactly what the form says (one transaction; a
/// refusal changes nothing and shows the form again as typed).
async fn update(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &Bytes,
    client_id: String,
) -> HttpResponse {
    let id = client_id.clone();
    let done = as_admin_post(req, state, body, move |c, a, f, now| {
        let change = ClientUpdate::to(&id, settings_from(f));
        admin::clients::update(c, a, now, &change).map(drop)
    })
    .await;
    match done {
        Ok((_, Ok(()))) => see_other(&format!("/admin/apps/{}?done=updated", enc(&client_id))),
        Ok((ctx, Err(e))) => {
            let st = state.clone();
            let id = client_id.clone();
            let found = web::block(move || {
                st.store
                    .read(|c| Ok((group_names(c)?, admin::clients::show(c, &id)?)))
            })
            .await;
            match found {
                Ok(Ok((groups, d))) => {
                    let mut form = form_from(&extract::form(body), &groups);
                    form.client_id = d.client.client_id.clone();
                    form.public = d.client.is_public;
                    let issuer = &state.settings.issuer;
                    render(
                        &ctx,
                        refusal_status(&e),
                        issuer,
                        &d,
                        form,
                        ("", &e.to_string()),
                        "",
                    )
                }
                _ => error::page(refusal_status(&e), "Not changed", &e.to_string()),
            }
        }
        Err(res) => res,
    }
}
