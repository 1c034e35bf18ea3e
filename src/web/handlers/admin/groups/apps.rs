//! POST /admin/groups/{name}/apps and /apps/remove: restrict an app (`client_id`) to the group,
//! or lift that restriction, through the app's allowed groups (`oidc::admin::clients::update`).

use super::{group_path, show};
use crate::oidc::admin;
use crate::oidc::admin::clients::ClientUpdate;
use crate::state::AppState;
use crate::web::handlers::admin::{as_admin_post, refusal_status, segment};
use crate::web::handlers::authorize::see_other;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_restrict_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    change(req, state, body, true).await
}

pub async fn post_lift_restriction(
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
    restrict: bool,
) -> HttpResponse {
    let group = segment(&req, "name");
    let g = group.clone();
    let done = as_admin_post(&req, &state, &body, move |c, actor, form, now| {
        let mut u = ClientUpdate {
            client_id: form.get("client_id").unwrap_or_default().to_owned(),
            ..Default::default()
        };
        if restrict {
            u.allowed_groups.add = vec![g];
        } else {
            u.allowed_groups.remove = vec![g];
        }
        admin::clients::update(c, actor, now, &u).map(|_| ())
    })
    .await;
    match done {
        Ok((_, Ok(()))) => {
            let code = if restrict {
                "restricted"
            } else {
                "unrestricted"
            };
            see_other(&format!("{}?done={code}", group_path(&group)))
        }
        Ok((_, Err(e))) => {
            let status = refusal_status(&e);
            show::render(&req, &state, group, "", e.to_string(), "", status).await
        }
        Err(res) => res,
    }
}
