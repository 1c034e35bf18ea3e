//! /admin/api/v1/apis: APIs (resource servers), their scopes, and which clients hold them.
//! Addressed by identifier, as in `latchkey api`; an identifier is a URI, so it travels
//! percent-encoded in the path (`https%3A%2F%2Fapi.example.com`).

use super::{ApiError, answer, as_key, created, parse_body, parse_query, read_body, segment};
use crate::oidc::admin::apis;
use crate::state::AppState;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

/// GET /apis
pub async fn get_apis(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    answer(
        as_key(&req, &state, |c, _, _| {
            Ok(serde_json::json!({ "apis": apis::list(c)? }))
        })
        .await,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApi {
    identifier: String,
    name: Option<String>,
    /// `NAME` or `NAME=DESCRIPTION`, as `api add --scope` takes them.
    #[serde(default)]
    scopes: Vec<String>,
}

/// POST /apis {identifier, name?, scopes?}
pub async fn post_apis(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    created(
        as_key(&req, &state, move |c, actor, now| {
            let b: NewApi = parse_body(&body?)?;
            let api = apis::add(c, actor, now, &b.identifier, b.name.as_deref(), &b.scopes)?;
            Ok(apis::show(c, &api.identifier)?.to_json())
        })
        .await,
    )
}

/// GET /apis/{identifier}: its scopes and the clients holding them.
pub async fn get_api(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let identifier = segment(&req, "identifier");
    answer(
        as_key(&req, &state, move |c, _, _| {
            Ok(apis::show(c, &identifier?)?.to_json())
        })
        .await,
    )
}

/// DELETE /apis/{identifier}
pub async fn delete_api(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let identifier = segment(&req, "identifier");
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let identifier = identifier?;
            apis::remove(c, actor, now, &identifier)?;
            Ok(serde_json::json!({ "removed": identifier }))
        })
        .await,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewScope {
    /// `NAME` or `NAME=DESCRIPTION`.
    scope: String,
}

/// POST /apis/{identifier}/scopes {scope}
pub async fn post_api_scopes(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    let identifier = segment(&req, "identifier");
    created(
        as_key(&req, &state, move |c, actor, now| {
            let identifier = identifier?;
            let b: NewScope = parse_body(&body?)?;
            apis::add_scope(c, actor, now, &identifier, &b.scope)?;
            Ok(apis::show(c, &identifier)?.to_json())
        })
        .await,
    )
}

/// DELETE /apis/{identifier}/scopes/{scope}: from the API and every client holding it.
pub async fn delete_api_scope(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (identifier, scope) = (segment(&req, "identifier"), segment(&req, "scope"));
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let identifier = identifier?;
            apis::remove_scope(c, actor, now, &identifier, &scope?)?;
            Ok(apis::show(c, &identifier)?.to_json())
        })
        .await,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Grant {
    /// Empty or left out: every scope of the API.
    #[serde(default)]
    scopes: Vec<String>,
}

/// PUT /apis/{identifier}/grants/{client_id} {scopes?}: grant the client scopes of the API (all
/// without `scopes`); answers what it holds afterwards.
pub async fn put_api_grant(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let grant = read_body(payload)
        .await
        .and_then(|b| parse_body::<Grant>(&b));
    change_grant(req, state, grant, true).await
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeQuery {
    /// Comma-separated; left out: every scope of the API.
    scopes: Option<String>,
}

/// DELETE /apis/{identifier}/grants/{client_id}?scopes=a,b: take scopes back (all without
/// `scopes`); answers what the client holds afterwards.
pub async fn delete_api_grant(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let revoke = parse_query::<RevokeQuery>(&req).map(|q| Grant {
        scopes: q
            .scopes
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    });
    change_grant(req, state, revoke, false).await
}

async fn change_grant(
    req: HttpRequest,
    state: web::Data<AppState>,
    input: Result<Grant, ApiError>,
    grant: bool,
) -> HttpResponse {
    let (identifier, client_id) = (segment(&req, "identifier"), segment(&req, "client_id"));
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let (identifier, client_id) = (identifier?, client_id?);
            let g = input?;
            let held =
                apis::change_grant(c, actor, now, &identifier, &client_id, &g.scopes, grant)?;
            Ok(serde_json::json!({ "api": identifier, "client_id": client_id, "scopes": held }))
        })
        .await,
    )
}
