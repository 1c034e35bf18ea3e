//! GET /admin/apps/{client_id}/check?user=&scope=&resource=: the sign-in checker for an app
//! (`oidc::admin::signin_check`), for the signed-in admin or a chosen user, with settings for
//! common apps (`oidc::admin::app_recipes`). A GET that changes nothing: no CSRF token needed.

use super::{as_admin, enc, refusal_status, segment};
use crate::oidc::admin::signin_check::{self, CheckInput};
use crate::oidc::admin::{self, AdminError, app_recipes};
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::templates::AdminCheckPage;
use crate::web::{error, extract};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_app_check(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let client_id = segment(&req, "client_id");
    let q = extract::query(&req);
    let asked_user = q.get("user").unwrap_or("").trim().to_owned();
    let scope = q.get("scope").map(str::to_owned);
    let resource = q.get("resource").map(str::to_owned);
    let settings = state.settings.clone();
    let ring = state.keys();
    let id = client_id.clone();
    let found = as_admin(&req, &state, move |c, admin_user, now| {
        let client = match admin::clients::show(c, &id) {
            Ok(d) => d.client,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let input = CheckInput {
            client_id: id,
            username: if asked_user.is_empty() {
                admin_user.username.clone()
            } else {
                asked_user
            },
            scope,
            resource,
        };
        let report = match signin_check::check(c, &settings, &ring, now, &input) {
            // An unknown user is the admin's typo; any other failure is ours.
            Err(AdminError::Store(e)) if !matches!(e, StoreError::NotFound(_)) => return Err(e),
            other => other,
        };
        let recipes = app_recipes::recipes(&settings, &client);
        Ok(Some((client.name, input, report, recipes)))
    })
    .await;
    let (ctx, found) = match found {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Some((app_name, input, report, recipes)) = found else {
        return error::page(StatusCode::NOT_FOUND, "Not found", "There is no such app.");
    };
    match report {
        Ok(r) => ctx.render(
            StatusCode::OK,
            &AdminCheckPage::of(ctx.layout("apps"), &client_id, enc(&client_id), r, recipes),
        ),
        Err(e) => {
            let mut page = AdminCheckPage::empty(
                ctx.layout("apps").with_error(e.to_string()),
                &client_id,
                enc(&client_id),
                app_name,
            );
            page.username = input.username;
            page.scope = input.scope.unwrap_or_default();
            page.resource = input.resource.unwrap_or_default();
            ctx.render(refusal_status(&e), &page)
        }
    }
}
