use crate::oidc::token;
use crate::state::AppState;
use crate::web::client_endpoint::{call_cors, no_store_json};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_token(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    call_cors(&req, &state, &body, token::handle)
        .await
        .respond(|resp| {
            state.metrics.token_issued(resp.grant);
            no_store_json(&resp)
        })
}
