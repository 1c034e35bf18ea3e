//! GET /admin/scopes: the custom scopes (the user attributes each releases as claims) and the
//! create form; POST /admin/scopes creates one (`name`, `claims` separated by commas or
//! spaces, `description`).

use super::notice;
use crate::oidc::admin;
use crate::state::AppState;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin, as_admin_post, enc, refusal_status};
use crate::web::handlers::authorize::see_other;
use crate::web::templates::admin_apis::{CustomScopeRow, CustomScopesPage};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_scopes(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let message = notice(extract::query(&req).get("done"));
    render(
        &req,
        &state,
        message,
        String::new(),
        ("", "", ""),
        StatusCode::OK,
    )
    .await
}

pub async fn post_scopes(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let done = as_admin_post(&req, &state, &body, |c, actor, form, now| {
        let claims: Vec<String> = form
            .get("claims")
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let name = form.get("name").unwrap_or_default();
        admin::scopes::add(c, actor, now, name, &claims, form.get("description")).map(|_| ())
    })
    .await;
    match done {
        Ok((_, Ok(()))) => see_other("/admin/scopes?done=custom-created"),
        Ok((_, Err(e))) => {
            let form = extract::form(&body);
            let typed = (
                form.get("name").unwrap_or_default(),
                form.get("claims").unwrap_or_default(),
                form.get("description").unwrap_or_default(),
            );
            render(&req, &state, "", e.to_string(), typed, refusal_status(&e)).await
        }
        Err(res) => res,
    }
}

/// The list page; `typed` is what the create form shows (name, claims, description).
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    message: &str,
    error: String,
    typed: (&str, &str, &str),
    status: StatusCode,
) -> HttpResponse {
    let (ctx, scopes) = match as_admin(req, state, |c, _, _| admin::scopes::list(c)).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let scopes: Vec<CustomScopeRow> = scopes
        .into_iter()
        .map(|s| CustomScopeRow {
            key: enc(&s.name),
            claims: s.claims.join(", "),
            description: s.description.unwrap_or_default(),
            name: s.name,
        })
        .collect();
    let page = CustomScopesPage {
        layout: ctx.layout("apis").with_message(message).with_error(error),
        no_scopes: scopes.is_empty(),
        scopes,
        new_name: typed.0,
        new_claims: typed.1,
        new_description: typed.2,
    };
    ctx.render(status, &page)
}
