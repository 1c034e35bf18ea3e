use crate::state::AppState;
use actix_web::{HttpResponse, web};
use std::sync::atomic::Ordering;

/// 200 when the database answers; 503 when it does not, or when the server is stopping.
pub async fn get_healthz(state: web::Data<AppState>) -> HttpResponse {
    let (mut res, status) = if state.stopping.load(Ordering::SeqCst) {
        (HttpResponse::ServiceUnavailable(), "stopping")
    } else {
        let store = state.store.clone();
        if web::block(move || store.ping()).await.unwrap_or(false) {
            (HttpResponse::Ok(), "ok")
        } else {
            (HttpResponse::ServiceUnavailable(), "unavailable")
        }
    };
    res.insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "status": status }))
}
