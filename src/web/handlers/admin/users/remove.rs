//! /admin/users/{username}/remove: GET asks, POST removes the user and everything issued to them.

use crate::oidc::admin;
use crate::state::AppState;
use crate::web::error;
use crate::web::handlers::admin::{as_admin, as_admin_post, enc, refusal_status, segment};
use crate::web::handlers::authorize::see_other;
use crate::web::templates::admin::groups::ConfirmPage;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_remove_user(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let username = segment(&req, "username");
    let u = username.clone();
    match as_admin(&req, &state, move |c, _, _| {
        crate::store::users::find_user_by_username(c, &u)
    })
    .await
    {
        Ok((ctx, Some(user))) => {
            let (path, name) = (enc(&user.username), user.username);
            let (title, action, button, back) = (
                format!("Remove {name}"),
                format!("/admin/users/{path}/remove"),
                format!("Remove {name}"),
                format!("/admin/users/{path}"),
            );
            let facts = vec![
                format!(
                    "{name} is deleted with their sessions, refresh tokens, consents, group memberships, attributes, second factors and passkeys."
                ),
                "Apps keep what they stored about them.".to_owned(),
            ];
            ctx.render(
                StatusCode::OK,
                &ConfirmPage {
                    layout: ctx.layout("users"),
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
            "No such user",
            "There is no user with that name.",
        ),
        Err(res) => res,
    }
}

pub async fn post_remove_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let username = segment(&req, "username");
    let u = username.clone();
    match as_admin_post(&req, &state, &body, move |c, a, _, now| {
        admin::users::remove(c, a, now, &u)
    })
    .await
    {
        Ok((_, Ok(()))) => see_other("/admin/users?done=removed"),
        Ok((_, Err(e))) => error::page(refusal_status(&e), "Not removed", &e.to_string()),
        Err(res) => res,
    }
}
