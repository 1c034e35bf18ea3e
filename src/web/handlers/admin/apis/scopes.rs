//! POST /admin/apis/scopes (`id`, `scope`, `description`) adds a scope to an API;
//! POST /admin/apis/scopes/remove (`id`, `scope`) removes one (from every app holding it too).

use super::{api_path, show};
use crate::oidc::admin;
use crate::state::AppState;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin_post, refusal_status};
use crate::web::handlers::authorize::see_other;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_add_scope(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    change(req, state, body, true).await
}

pub async fn post_remove_scope(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    change(req, state, body, false).await
}

async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
    add: bool,
) -> HttpResponse {
    let done = as_admin_post(&req, &state, &body, move |c, actor, form, now| {
        let id = form.get("id").unwrap_or_default();
        let scope = form.get("scope").unwrap_or_default();
        if add {
            let description = form.get("description");
            admin::apis::add_named_scope(c, actor, now, id, scope, description).map(|_| ())
        } else {
            admin::apis::remove_scope(c, actor, now, id, scope)
        }
    })
    .await;
    let form = extract::form(&body);
    let id = form.get("id").unwrap_or_default().to_owned();
    match done {
        Ok((_, Ok(()))) => {
            let code = if add { "scope-added" } else { "scope-removed" };
            see_other(&api_path(&id, code))
        }
        Ok((_, Err(e))) => {
            // Keep what was typed in the add form; a failed removal came from a button.
            let typed = if add {
                (
                    form.get("scope").unwrap_or_default(),
                    form.get("description").unwrap_or_default(),
                )
            } else {
                ("", "")
            };
            let status = refusal_status(&e);
            show::render(&req, &state, id, "", e.to_string(), typed, status).await
        }
        Err(res) => res,
    }
}
