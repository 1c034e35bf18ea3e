//! /admin/apps/{client_id}/remove: GET asks, POST removes the app and everything issued to it.

use crate::oidc::admin;
use crate::state::AppState;
use crate::store::clients;
use crate::web::error;
use crate::web::handlers::admin::{as_admin, as_admin_post, enc, refusal_status, segment};
use crate::web::handlers::authorize::see_other;
use crate::web::templates::admin::groups::ConfirmPage;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_remove_app(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let client_id = segment(&req, "client_id");
    match as_admin(&req, &state, move |c, _, _| {
        clients::find_client(c, &client_id)
    })
    .await
    {
        Ok((ctx, Some(cl))) => {
            let path = enc(&cl.client_id);
            let (title, action, button, back) = (
                format!("Remove {}", cl.name),
                format!("/admin/apps/{path}/remove"),
                format!("Remove {}", cl.name),
                format!("/admin/apps/{path}"),
            );
            let facts = vec![
                format!(
                    "The app {} ({}) is deleted with every code, token and consent issued to it.",
                    cl.name, cl.client_id
                ),
                "Its users are signed out of it.".to_owned(),
            ];
            ctx.render(
                StatusCode::OK,
                &ConfirmPage {
                    layout: ctx.layout("apps"),
                    title: &title,
                    facts,
                    action: &action,
                    fields: vec![],
                    button: &button,
                    back: &back,
                },
            )
        }
        Ok((_, None)) => error::page(
            StatusCode::NOT_FOUND,
            "No such app",
            "There is no app with that client ID.",
        ),
        Err(res) => res,
    }
}

pub async fn post_remove_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let client_id = segment(&req, "client_id");
    let done = as_admin_post(&req, &state, &body, move |c, a, _, now| {
        admin::clients::remove(c, a, now, &client_id)
    })
    .await;
    match done {
        Ok((_, Ok(()))) => see_other("/admin/apps?done=removed"),
        Ok((_, Err(e))) => error::page(refusal_status(&e), "Not removed", &e.to_string()),
        Err(res) => res,
    }
}
