//! Any other /admin URL, GET or POST: the gate answers first (a non-admin gets the 403 page,
//! never a hint of which admin pages exist); an admin is told there is no such page.

use super::as_admin;
use crate::state::AppState;
use crate::web::error;
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn any_admin(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match as_admin(&req, &state, |_, _, _| Ok(())).await {
        Ok(_) => error::page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such admin page.",
        ),
        Err(res) => res,
    }
}
