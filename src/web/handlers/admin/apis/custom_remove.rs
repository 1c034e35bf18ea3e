//! GET /admin/scopes/remove?name=SCOPE asks (what the removal does); POST (`name`) removes the
//! custom scope.

use crate::oidc::admin;
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::handlers::admin::{as_admin, as_admin_post, refusal_status};
use crate::web::handlers::authorize::see_other;
use crate::web::templates::Field;
use crate::web::templates::admin_groups::ConfirmPage;
use crate::web::{error, extract};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_remove_scope(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let name = extract::query(&req)
        .get("name")
        .unwrap_or_default()
        .to_owned();
    ask(&req, &state, name, String::new(), StatusCode::OK).await
}

pub async fn post_remove_scope(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let done = as_admin_post(&req, &state, &body, |c, actor, form, now| {
        admin::scopes::remove(c, actor, now, form.get("name").unwrap_or_default())
    })
    .await;
    match done {
        Ok((_, Ok(()))) => see_other("/admin/scopes?done=custom-removed"),
        Ok((_, Err(e))) => {
            let name = extract::form(&body)
                .get("name")
                .unwrap_or_default()
                .to_owned();
            ask(&req, &state, name, e.to_string(), refusal_status(&e)).await
        }
        Err(res) => res,
    }
}

/// The question, with what removing the scope does (and the refusal, after one).
async fn ask(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    name: String,
    error: String,
    status: StatusCode,
) -> HttpResponse {
    let found = as_admin(req, state, move |c, _, _| {
        match admin::scopes::show(c, &name) {
            Ok(s) => Ok(Some(s)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await;
    let (ctx, scope) = match found {
        Ok(found) => found,
        Err(res) => return res,
    };
    let Some(s) = scope else {
        return error::page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no custom scope of this name.",
        );
    };
    let facts = vec![
        format!(
            "Apps asking for {} no longer receive the claims {}.",
            s.name,
            s.claims.join(", ")
        ),
        "Users' attributes stay as they are.".into(),
    ];
    let title = format!("Remove custom scope {}", s.name);
    let page = ConfirmPage {
        layout: ctx.layout("apis").with_error(error),
        title: &title,
        facts,
        action: "/admin/scopes/remove",
        fields: vec![Field {
            name: "name",
            value: s.name.clone(),
        }],
        button: "Remove scope",
        back: "/admin/scopes",
    };
    ctx.render(status, &page)
}
