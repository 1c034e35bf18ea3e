//! GET /admin/apps: every registered app, who may use it, and its grant types.

use crate::oidc::admin;
use crate::state::AppState;
use crate::store::groups;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin, enc};
use crate::web::templates::admin::apps::{AdminAppsPage, AppRow};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_apps(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let found = as_admin(&req, &state, |c, _, _| {
        admin::clients::list(c)?
            .into_iter()
            .map(|cl| Ok((groups::list_client_allowed_groups(c, cl.id)?, cl)))
            .collect::<Result<Vec<_>, _>>()
    })
    .await;
    let (ctx, apps) = match found {
        Ok(found) => found,
        Err(res) => return res,
    };
    let done = extract::query(&req)
        .get("done")
        .map(super::notice)
        .unwrap_or("");
    let rows = apps
        .into_iter()
        .map(|(allowed, cl)| AppRow {
            path: enc(&cl.client_id),
            kind: if cl.is_public {
                "public"
            } else {
                "confidential"
            }
            .into(),
            groups: if allowed.is_empty() {
                "everyone".into()
            } else {
                allowed.join(", ")
            },
            grants: cl.grant_types.join(", "),
            name: cl.name,
            client_id: cl.client_id,
        })
        .collect();
    ctx.render(
        StatusCode::OK,
        &AdminAppsPage {
            layout: ctx.layout("apps").with_message(done),
            apps: rows,
        },
    )
}
