//! GET /admin/users/{username}: a user's profile, groups, attributes, sessions, apps and second
//! factors, with a form for each change.

use super::{load, notice, render};
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::error;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin, segment};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_user(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let username = segment(&req, "username");
    let found = as_admin(&req, &state, move |c, _, now| {
        match load(c, &username, now) {
            Ok(d) => Ok(Some(d)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await;
    match found {
        Ok((ctx, Some(d))) => {
            let done = extract::query(&req).get("done").map(notice).unwrap_or("");
            render(&ctx, StatusCode::OK, &d, done, "", "")
        }
        Ok((_, None)) => error::page(
            StatusCode::NOT_FOUND,
            "No such user",
            "There is no user with that name.",
        ),
        Err(res) => res,
    }
}
