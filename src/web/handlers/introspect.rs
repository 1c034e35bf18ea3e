use crate::oidc::introspect;
use crate::state::AppState;
use crate::web::client_endpoint::{call, no_store_json};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    match call(&req, &state, &body, introspect::introspect).await {
        Ok(v) => no_store_json(&v),
        Err(res) => res,
    }
}
