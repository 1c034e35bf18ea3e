//! GET /admin/groups: every group with its member count and the apps restricted to it, and the
//! create form; POST /admin/groups creates one.

use super::{group_path, notice};
use crate::oidc::admin;
use crate::state::AppState;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin, as_admin_post, enc, refusal_status};
use crate::web::handlers::authorize::see_other;
use crate::web::templates::admin_groups::{GroupRow, GroupsPage};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_groups(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let message = notice(extract::query(&req).get("done"));
    render(
        &req,
        &state,
        message,
        String::new(),
        ("", ""),
        StatusCode::OK,
    )
    .await
}

pub async fn post_groups(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let done = as_admin_post(&req, &state, &body, |c, actor, form, now| {
        let name = form.get("name").unwrap_or_default();
        admin::groups::add(c, actor, now, name, form.get("description")).map(|g| g.name)
    })
    .await;
    match done {
        Ok((_, Ok(name))) => see_other(&format!("{}?done=created", group_path(&name))),
        Ok((_, Err(e))) => {
            let form = extract::form(&body);
            let typed = (
                form.get("name").unwrap_or_default(),
                form.get("description").unwrap_or_default(),
            );
            render(&req, &state, "", e.to_string(), typed, refusal_status(&e)).await
        }
        Err(res) => res,
    }
}

/// The list page; `typed` is what the create form shows (name, description).
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    message: &str,
    error: String,
    typed: (&str, &str),
    status: StatusCode,
) -> HttpResponse {
    let (ctx, groups) = match as_admin(req, state, |c, _, _| admin::groups::list_summaries(c)).await
    {
        Ok(found) => found,
        Err(res) => return res,
    };
    let groups: Vec<GroupRow> = groups
        .into_iter()
        .map(|s| GroupRow {
            key: enc(&s.group.name),
            name: s.group.name,
            description: s.group.description.unwrap_or_default(),
            members: s.members,
            apps: s.clients.join(", "),
        })
        .collect();
    let page = GroupsPage {
        layout: ctx.layout("groups").with_message(message).with_error(error),
        no_groups: groups.is_empty(),
        groups,
        new_name: typed.0,
        new_description: typed.1,
    };
    ctx.render(status, &page)
}
