//! GET /admin/apis/remove?id=IDENTIFIER asks (what the removal does); POST (`id`) removes the
//! API.

use super::show;
use crate::oidc::admin;
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::extract;
use crate::web::handlers::admin::{as_admin, as_admin_post, enc, refusal_status};
use crate::web::handlers::authorize::see_other;
use crate::web::templates::Field;
use crate::web::templates::admin_groups::ConfirmPage;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_remove_api(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let id = extract::query(&req)
        .get("id")
        .unwrap_or_default()
        .to_owned();
    ask(&req, &state, id, String::new(), StatusCode::OK).await
}

pub async fn post_remove_api(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let done = as_admin_post(&req, &state, &body, |c, actor, form, now| {
        admin::apis::remove(c, actor, now, form.get("id").unwrap_or_default())
    })
    .await;
    match done {
        Ok((_, Ok(()))) => see_other("/admin/apis?done=removed"),
        Ok((_, Err(e))) => {
            let id = extract::form(&body)
                .get("id")
                .unwrap_or_default()
                .to_owned();
            ask(&req, &state, id, e.to_string(), refusal_status(&e)).await
        }
        Err(res) => res,
    }
}

/// The question, with what removing the API does (and the refusal, after one).
async fn ask(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    id: String,
    error: String,
    status: StatusCode,
) -> HttpResponse {
    let found = as_admin(req, state, move |c, _, _| match admin::apis::show(c, &id) {
        Ok(d) => Ok(Some(d)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    })
    .await;
    let (ctx, detail) = match found {
        Ok(found) => found,
        Err(res) => return res,
    };
    let Some(d) = detail else {
        return show::no_such_api();
    };
    let api = &d.api;
    let mut facts = vec![format!(
        "Its {} scope(s) go, and apps can no longer ask for tokens for {}.",
        api.scopes.len(),
        api.identifier
    )];
    if !d.clients.is_empty() {
        let holders: Vec<&str> = d.clients.iter().map(|(c, _)| c.as_str()).collect();
        facts.push(format!(
            "Apps holding its scopes lose them: {}.",
            holders.join(", ")
        ));
    }
    facts.push("Access tokens already issued for it stay valid until they expire.".into());
    let back = format!("/admin/apis/detail?id={}", enc(&api.identifier));
    let title = format!("Remove API {}", api.name);
    let page = ConfirmPage {
        layout: ctx.layout("apis").with_error(error),
        title: &title,
        facts,
        action: "/admin/apis/remove",
        fields: vec![Field {
            name: "id",
            value: api.identifier.clone(),
        }],
        button: "Remove API",
        back: &back,
    };
    ctx.render(status, &page)
}
