use crate::state::AppState;
use actix_web::{HttpResponse, web};

/// 200 when the database answers, 503 otherwise.
pub async fn get_healthz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    let ok = web::block(move || store.ping()).await.unwrap_or(false);
    let (mut res, status) = if ok {
        (HttpResponse::Ok(), "ok")
    } else {
        (HttpResponse::ServiceUnavailable(), "unavailable")
    };
    res.insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "status": status }))
}
