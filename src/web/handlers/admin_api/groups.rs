//! /admin/api/v1/groups: list, create, show, remove, members. Addressed by group name, as in
//! `latchkey group`.

use super::{ApiError, answer, as_key, created, parse_body, read_body, segment};
use crate::oidc::admin::groups;
use crate::state::AppState;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

/// GET /groups
pub async fn get_groups(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    answer(
        as_key(&req, &state, |c, _, _| {
            Ok(serde_json::json!({ "groups": groups::list(c)? }))
        })
        .await,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGroup {
    name: String,
    description: Option<String>,
}

/// POST /groups {name, description?}
pub async fn post_groups(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    created(
        as_key(&req, &state, move |c, actor, now| {
            let b: NewGroup = parse_body(&body?)?;
            let g = groups::add(c, actor, now, &b.name, b.description.as_deref())?;
            Ok(groups::show(c, &g.name)?.to_json())
        })
        .await,
    )
}

/// GET /groups/{name}: members and the apps restricted to the group.
pub async fn get_group(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let name = segment(&req, "name");
    answer(
        as_key(&req, &state, move |c, _, _| {
            Ok(groups::show(c, &name?)?.to_json())
        })
        .await,
    )
}

/// DELETE /groups/{name} (refused while an app is restricted to it)
pub async fn delete_group(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let name = segment(&req, "name");
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let name = name?;
            groups::remove(c, actor, now, &name)?;
            Ok(serde_json::json!({ "removed": name }))
        })
        .await,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Members {
    usernames: Vec<String>,
}

/// POST /groups/{name}/members {usernames}: all or nothing; answers who was added.
pub async fn post_group_members(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    let name = segment(&req, "name");
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let name = name?;
            let b: Members = parse_body(&body?)?;
            if b.usernames.is_empty() {
                return Err(ApiError::BadRequest("usernames is empty".into()));
            }
            let added = groups::change_members(c, actor, now, &name, &b.usernames, true)?;
            Ok(serde_json::json!({ "group": name, "added": added }))
        })
        .await,
    )
}

/// DELETE /groups/{name}/members/{username}
pub async fn delete_group_member(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (name, username) = (segment(&req, "name"), segment(&req, "username"));
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let name = name?;
            let removed = groups::change_members(c, actor, now, &name, &[username?], false)?;
            Ok(serde_json::json!({ "group": name, "removed": removed }))
        })
        .await,
    )
}
