use crate::state::AppState;
use actix_web::{HttpResponse, web};

fn metadata(body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(body.to_owned())
}

pub async fn get_openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    metadata(&state.discovery_json)
}

pub async fn get_oauth_authorization_server(state: web::Data<AppState>) -> HttpResponse {
    metadata(&state.oauth_metadata_json)
}
