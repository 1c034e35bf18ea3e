//! POST /admin/groups/{name}/members and /members/remove: add users to a group or take them
//! out (`username`: one or more usernames, separated by spaces or commas; all or nothing).

use super::{group_path, show};
use crate::oidc::admin;
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin_post, refusal_status, segment};
use crate::web::handlers::authorize::see_other;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_add_members(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    change(req, state, body, true).await
}

pub async fn post_remove_members(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    change(req, state, body, false).await
}

fn usernames(form: &Params) -> Vec<String> {
    form.get("username")
        .unwrap_or_default()
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
    add: bool,
) -> HttpResponse {
    let group = segment(&req, "name");
    let g = group.clone();
    let done = as_admin_post(&req, &state, &body, move |c, actor, form, now| {
        admin::groups::change_members(c, actor, now, &g, &usernames(form), add)
    })
    .await;
    match done {
        Ok((_, Ok(changed))) => {
            let code = match (changed.is_empty(), add) {
                (true, _) => "members-unchanged",
                (false, true) => "members-added",
                (false, false) => "members-removed",
            };
            see_other(&format!("{}?done={code}", group_path(&group)))
        }
        Ok((_, Err(e))) => {
            let form = extract::form(&body);
            // Keep what was typed in the add field; a failed removal came from a button.
            let typed = if add {
                form.get("username").unwrap_or_default()
            } else {
                ""
            };
            let status = refusal_status(&e);
            show::render(&req, &state, group, "", e.to_string(), typed, status).await
        }
        Err(res) => res,
    }
}
