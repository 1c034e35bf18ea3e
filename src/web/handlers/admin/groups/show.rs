//! GET /admin/groups/{name}: a group's members (add, remove), the apps restricted to it (add,
//! lift), and the way to remove it.

use super::notice;
use crate::oidc::admin;
use crate::oidc::admin::groups::GroupDetail;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::{StoreError, Tx};
use crate::web::handlers::account::show_time;
use crate::web::handlers::admin::{as_admin, enc, segment};
use crate::web::templates::admin_groups::{AppChoice, GroupPage, MemberRow, RestrictedApp};
use crate::web::{error, extract};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_group(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let name = segment(&req, "name");
    let message = notice(extract::query(&req).get("done"));
    render(
        &req,
        &state,
        name,
        message,
        String::new(),
        "",
        StatusCode::OK,
    )
    .await
}

/// A group and every app with the groups it is restricted to.
struct Loaded {
    detail: GroupDetail,
    apps: Vec<(Client, Vec<String>)>,
}

fn load(c: &Tx<'_>, name: &str) -> Result<Option<Loaded>, StoreError> {
    let detail = match admin::groups::show(c, name) {
        Ok(d) => d,
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut apps = Vec::new();
    for cl in admin::clients::list(c)? {
        let d = admin::clients::show(c, &cl.client_id)?;
        apps.push((d.client, d.allowed_groups));
    }
    Ok(Some(Loaded { detail, apps }))
}

/// A missing group's answer (the gate has passed: this is an admin).
pub(super) fn no_such_group() -> HttpResponse {
    error::page(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no group of this name.",
    )
}

/// The group's page with a notice or an error; `typed` is what the add-member field shows.
pub(super) async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    name: String,
    message: &str,
    error: String,
    typed: &str,
    status: StatusCode,
) -> HttpResponse {
    let (ctx, loaded) = match as_admin(req, state, move |c, _, _| load(c, &name)).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let Some(Loaded { detail, apps }) = loaded else {
        return no_such_group();
    };
    let g = &detail.group;
    let mut restricted = Vec::new();
    let mut choices = Vec::new();
    for (cl, groups) in apps {
        if detail.clients.contains(&cl.client_id) {
            let others: Vec<&str> = groups
                .iter()
                .map(String::as_str)
                .filter(|n| *n != g.name)
                .collect();
            restricted.push(RestrictedApp {
                key: enc(&cl.client_id),
                others: others.join(", "),
                client_id: cl.client_id,
                name: cl.name,
            });
        } else {
            let open = if groups.is_empty() {
                "open to everyone".to_owned()
            } else {
                format!("restricted to {}", groups.join(", "))
            };
            choices.push(AppChoice {
                label: format!("{} ({}), {open}", cl.name, cl.client_id),
                client_id: cl.client_id,
            });
        }
    }
    let members: Vec<MemberRow> = detail
        .members
        .iter()
        .map(|u| MemberRow {
            username: u.clone(),
            key: enc(u),
        })
        .collect();
    let page = GroupPage {
        layout: ctx.layout("groups").with_message(message).with_error(error),
        name: &g.name,
        key: enc(&g.name),
        description: g.description.clone().unwrap_or_default(),
        created: show_time(g.created_at),
        member_count: members.len(),
        no_members: members.is_empty(),
        members,
        new_usernames: typed,
        no_apps: restricted.is_empty(),
        apps: restricted,
        no_choices: choices.is_empty(),
        choices,
    };
    ctx.render(status, &page)
}
