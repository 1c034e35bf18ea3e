use crate::state::AppState;
use actix_web::{HttpResponse, web};

/// The public keys; short caching so rotations reach relying parties quickly.
pub async fn get_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(state.keys().jwks_json().to_owned())
}
