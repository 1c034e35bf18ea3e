//! POST /admin/apis/grant and /admin/apis/revoke (`id`, `client_id`, `scope`): give an app a
//! scope of the API or take it back (every scope of the API when `scope` is empty).

use super::{api_path, show};
use crate::oidc::admin;
use crate::state::AppState;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin_post, refusal_status};
use crate::web::handlers::authorize::see_other;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_grant(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    change(req, state, body, true).await
}

pub async fn post_revoke(
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
    grant: bool,
) -> HttpResponse {
    let done = as_admin_post(&req, &state, &body, move |c, actor, form, now| {
        let id = form.get("id").unwrap_or_default();
        let client_id = form.get("client_id").unwrap_or_default();
        let scopes: Vec<String> = form.get("scope").map(str::to_owned).into_iter().collect();
        admin::apis::change_grant(c, actor, now, id, client_id, &scopes, grant).map(|_| ())
    })
    .await;
    let id = extract::form(&body)
        .get("id")
        .unwrap_or_default()
        .to_owned();
    match done {
        Ok((_, Ok(()))) => see_other(&api_path(&id, if grant { "granted" } else { "revoked" })),
        Ok((_, Err(e))) => {
            let status = refusal_status(&e);
            show::render(&req, &state, id, "", e.to_string(), ("", ""), status).await
        }
        Err(res) => res,
    }
}
