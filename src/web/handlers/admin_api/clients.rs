//! /admin/api/v1/clients: list, register (the secret answered once), show, change, rotate the
//! secret, remove. Addressed by client_id, as in `latchkey client`.

use super::{answer, as_key, created, parse_body, read_body, segment};
use crate::oidc::admin::clients::{self, ClientUpdate, NewClient};
use crate::state::AppState;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

/// GET /clients
pub async fn get_clients(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    answer(
        as_key(&req, &state, |c, _, _| {
            Ok(serde_json::json!({ "clients": clients::list(c)? }))
        })
        .await,
    )
}

/// POST /clients {client_id, redirect_uris, public, ...}: the fields of `client add`; a
/// confidential client's `client_secret` is in this answer only.
pub async fn post_clients(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    created(
        as_key(&req, &state, move |c, actor, now| {
            let new: NewClient = parse_body(&body?)?;
            let (client, secret) = clients::add(c, actor, now, &new)?;
            let mut out = clients::show(c, &client.client_id)?.to_json();
            if let (Some(s), Some(o)) = (secret, out.as_object_mut()) {
                o.insert("client_secret".into(), s.into());
            }
            Ok(out)
        })
        .await,
    )
}

/// GET /clients/{client_id}
pub async fn get_client(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let client_id = segment(&req, "client_id");
    answer(
        as_key(&req, &state, move |c, _, _| {
            Ok(clients::show(c, &client_id?)?.to_json())
        })
        .await,
    )
}

/// PATCH /clients/{client_id} {...}: the fields of `client update`; answers the client as it
/// is afterwards.
pub async fn patch_client(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    let client_id = segment(&req, "client_id");
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let mut change: ClientUpdate = parse_body(&body?)?;
            change.client_id = client_id?;
            Ok(clients::update(c, actor, now, &change)?.client.to_json())
        })
        .await,
    )
}

/// DELETE /clients/{client_id}: the client and everything issued to it.
pub async fn delete_client(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let client_id = segment(&req, "client_id");
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let client_id = client_id?;
            clients::remove(c, actor, now, &client_id)?;
            Ok(serde_json::json!({ "removed": client_id }))
        })
        .await,
    )
}

/// POST /clients/{client_id}/rotate-secret: the new secret, in this answer only; the old one
/// stops working at once.
pub async fn post_client_rotate_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let client_id = segment(&req, "client_id");
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let client_id = client_id?;
            let secret = clients::rotate_secret(c, actor, now, &client_id)?;
            Ok(serde_json::json!({ "client_id": client_id, "client_secret": secret }))
        })
        .await,
    )
}
