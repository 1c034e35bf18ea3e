//! GET /admin/apis: every API with its scopes, and the register form; POST /admin/apis
//! registers one (`identifier`, `name`).

use super::{api_path, notice};
use crate::oidc::admin;
use crate::state::AppState;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin, as_admin_post, enc, refusal_status};
use crate::web::handlers::authorize::see_other;
use crate::web::templates::admin_apis::{ApiRow, ApisPage};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_apis(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let message = notice(extract::query(&req).get("done"));
    render(
        &req,
        &state,
        message,
        String::new(),
        ("", ""),
        StatusCode::OK,
    )
    .await
}

pub async fn post_apis(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    let done = as_admin_post(&req, &state, &body, |c, actor, form, now| {
        let identifier = form.get("identifier").unwrap_or_default();
        admin::apis::add(c, actor, now, identifier, form.get("name"), &[]).map(|a| a.identifier)
    })
    .await;
    match done {
        Ok((_, Ok(identifier))) => see_other(&api_path(&identifier, "created")),
        Ok((_, Err(e))) => {
            let form = extract::form(&body);
            let typed = (
                form.get("identifier").unwrap_or_default(),
                form.get("name").unwrap_or_default(),
            );
            render(&req, &state, "", e.to_string(), typed, refusal_status(&e)).await
        }
        Err(res) => res,
    }
}

/// The list page; `typed` is what the register form shows (identifier, name).
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    message: &str,
    error: String,
    typed: (&str, &str),
    status: StatusCode,
) -> HttpResponse {
    let (ctx, apis) = match as_admin(req, state, |c, _, _| admin::apis::list(c)).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let apis: Vec<ApiRow> = apis
        .into_iter()
        .map(|a| ApiRow {
            key: enc(&a.identifier),
            scopes: a
                .scopes
                .iter()
                .map(|s| s.scope.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            identifier: a.identifier,
            name: a.name,
        })
        .collect();
    let page = ApisPage {
        layout: ctx.layout("apis").with_message(message).with_error(error),
        no_apis: apis.is_empty(),
        apis,
        new_identifier: typed.0,
        new_name: typed.1,
    };
    ctx.render(status, &page)
}
