//! GET /admin/groups/{name}/remove asks (what the removal does); POST removes the group.
//! `oidc::admin::groups::remove` refuses while an app is restricted to it.

use super::{group_path, show};
use crate::oidc::admin;
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::handlers::admin::{as_admin, as_admin_post, refusal_status, segment};
use crate::web::handlers::authorize::see_other;
use crate::web::templates::admin_groups::ConfirmPage;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_remove_group(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let name = segment(&req, "name");
    ask(&req, &state, name, String::new(), StatusCode::OK).await
}

pub async fn post_remove_group(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let name = segment(&req, "name");
    let n = name.clone();
    let done = as_admin_post(&req, &state, &body, move |c, actor, _, now| {
        admin::groups::remove(c, actor, now, &n)
    })
    .await;
    match done {
        Ok((_, Ok(()))) => see_other("/admin/groups?done=removed"),
        Ok((_, Err(e))) => ask(&req, &state, name, e.to_string(), refusal_status(&e)).await,
        Err(res) => res,
    }
}

/// The question, with what removing the group does (and the refusal, after one).
async fn ask(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    name: String,
    error: String,
    status: StatusCode,
) -> HttpResponse {
    let found = as_admin(req, state, move |c, _, _| {
        match admin::groups::show(c, &name) {
            Ok(d) => Ok(Some(d)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await;
    let (ctx, detail) = match found {
        Ok(found) => found,
        Err(res) => return res,
    };
    let Some(d) = detail else {
        return show::no_such_group();
    };
    let name = &d.group.name;
    let mut facts = vec![format!(
        "Its {} member(s) leave it, and its name leaves the groups claim of tokens issued from now on.",
        d.members.len()
    )];
    if !d.clients.is_empty() {
        facts.push(format!(
            "Apps restricted to it: {}. A group that restricts an app cannot be removed: lift those restrictions on the group's page first, or the app would open to everyone.",
            d.clients.join(", ")
        ));
    }
    let back = group_path(name);
    let action = format!("{back}/remove");
    let title = format!("Remove group {name}");
    let page = ConfirmPage {
        layout: ctx.layout("groups").with_error(error),
        title: &title,
        facts,
        action: &action,
        fields: vec![],
        button: "Remove group",
        back: &back,
    };
    ctx.render(status, &page)
}
