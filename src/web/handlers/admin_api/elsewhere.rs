//! Any other /admin/api/ URL or method: a JSON 404 for a valid key (401 without one), never
//! the admin pages' sign-in redirect.

use super::{ApiError, check_key};
use crate::state::AppState;
use crate::store::StoreError;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn any_admin_api(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let err = match check_key(&req, &state).await {
        Ok(()) => ApiError::from(StoreError::NotFound(format!(
            "the admin API has no {} {}",
            req.method(),
            req.path()
        ))),
        Err(e) => e,
    };
    err.response()
}
