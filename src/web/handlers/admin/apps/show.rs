//! GET /admin/apps/{client_id}: an app's settings (a form with every one), its secret rotation,
//! removal, and the sign-in checker's link.

use super::{form_of, group_names, notice, render};
use crate::oidc::admin;
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::handlers::admin::{as_admin, segment};
use crate::web::{error, extract};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_app(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let client_id = segment(&req, "client_id");
    let found = as_admin(&req, &state, move |c, _, _| {
        match admin::clients::show(c, &client_id) {
            Ok(d) => Ok(Some((group_names(c)?, d))),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await;
    match found {
        Ok((ctx, Some((groups, d)))) => {
            let done = extract::query(&req).get("done").map(notice).unwrap_or("");
            let form = form_of(&d, &groups);
            render(
                &ctx,
                StatusCode::OK,
                &state.settings.issuer,
                &d,
                form,
                (done, ""),
                "",
            )
        }
        Ok((_, None)) => error::page(
            StatusCode::NOT_FOUND,
            "No such app",
            "There is no app with that client ID.",
        ),
        Err(res) => res,
    }
}
