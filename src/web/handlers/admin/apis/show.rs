//! GET /admin/apis/detail?id=IDENTIFIER: an API's scopes (add, remove), which apps hold which
//! of them (grant, revoke), and the way to remove it.

use super::notice;
use crate::oidc::admin;
use crate::oidc::admin::apis::ApiDetail;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::{StoreError, Tx};
use crate::web::handlers::account::show_time;
use crate::web::handlers::admin::{as_admin, enc};
use crate::web::templates::admin_apis::{ApiPage, GrantRow, ScopeRow};
use crate::web::templates::admin_groups::AppChoice;
use crate::web::{error, extract};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_api(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = extract::query(&req);
    let id = query.get("id").unwrap_or_default().to_owned();
    let message = notice(query.get("done"));
    render(
        &req,
        &state,
        id,
        message,
        String::new(),
        ("", ""),
        StatusCode::OK,
    )
    .await
}

struct Loaded {
    detail: ApiDetail,
    clients: Vec<Client>,
}

fn load(c: &Tx<'_>, identifier: &str) -> Result<Option<Loaded>, StoreError> {
    let detail = match admin::apis::show(c, identifier) {
        Ok(d) => d,
        Err(StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let clients = admin::clients::list(c)?;
    Ok(Some(Loaded { detail, clients }))
}

/// A missing API's answer (the gate has passed: this is an admin).
pub(super) fn no_such_api() -> HttpResponse {
    error::page(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no API with this identifier.",
    )
}

/// The API's page with a notice or an error; `typed` is what the add-scope form shows
/// (scope, description).
pub(super) async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    identifier: String,
    message: &str,
    error: String,
    typed: (&str, &str),
    status: StatusCode,
) -> HttpResponse {
    let (ctx, loaded) = match as_admin(req, state, move |c, _, _| load(c, &identifier)).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let Some(Loaded { detail, clients }) = loaded else {
        return no_such_api();
    };
    let api = &detail.api;
    let scopes: Vec<ScopeRow> = api
        .scopes
        .iter()
        .map(|s| ScopeRow {
            scope: s.scope.clone(),
            description: s.description.clone().unwrap_or_default(),
        })
        .collect();
    let grants: Vec<GrantRow> = detail
        .clients
        .iter()
        .flat_map(|(client_id, held)| {
            held.iter().map(move |s| GrantRow {
                client_id: client_id.clone(),
                key: enc(client_id),
                scope: s.clone(),
            })
        })
        .collect();
    let clients: Vec<AppChoice> = clients
        .into_iter()
        .map(|cl| AppChoice {
            label: format!("{} ({})", cl.name, cl.client_id),
            client_id: cl.client_id,
        })
        .collect();
    let page = ApiPage {
        layout: ctx.layout("apis").with_message(message).with_error(error),
        identifier: &api.identifier,
        key: enc(&api.identifier),
        name: api.name.clone(),
        created: show_time(api.created_at),
        no_scopes: scopes.is_empty(),
        can_grant: !scopes.is_empty() && !clients.is_empty(),
        scopes,
        new_scope: typed.0,
        new_description: typed.1,
        no_grants: grants.is_empty(),
        grants,
        clients,
    };
    ctx.render(status, &page)
}
