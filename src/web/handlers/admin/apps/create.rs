//! GET /admin/apps/new and POST /admin/apps: register an app; a confidential app's secret is
//! shown once on its page.

use super::{form_from, form_of, group_names, new_client, new_form, render};
use crate::oidc::admin::{self, AdminError};
use crate::state::AppState;
use crate::web::extract;
use crate::web::handlers::admin::{AdminCtx, as_admin, as_admin_post, refusal_status};
use crate::web::templates::admin::apps::{AdminAppNewPage, AppForm};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

fn form_page(ctx: &AdminCtx, status: StatusCode, form: AppForm, error: &str) -> HttpResponse {
    ctx.render(
        status,
        &AdminAppNewPage {
            layout: ctx.layout("apps").with_error(error),
            form,
        },
    )
}

pub async fn get_new_app(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match as_admin(&req, &state, |c, _, _| group_names(c)).await {
        Ok((ctx, groups)) => form_page(&ctx, StatusCode::OK, new_form(&groups), ""),
        Err(res) => res,
    }
}

pub async fn post_apps(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    let done = as_admin_post(&req, &state, &body, |c, a, f, now| {
        let new = new_client(f);
        let (cl, secret) = admin::clients::add(c, a, now, &new)?;
        if f.get("require_mfa") == Some("on") {
            let mfa = admin::clients::ClientUpdate {
                client_id: cl.client_id.clone(),
                require_mfa: Some(true),
                ..Default::default()
            };
            admin::clients::update(c, a, now, &mfa)?;
        }
        let d = admin::clients::show(c, &cl.client_id)?;
        Ok::<_, AdminError>((group_names(c)?, d, secret))
    })
    .await;
    match done {
        Ok((ctx, Ok((groups, d, secret)))) => {
            let form = form_of(&d, &groups);
            let message = "App created.";
            let secret = secret.unwrap_or_default();
            render(
                &ctx,
                StatusCode::CREATED,
                &state.settings.issuer,
                &d,
                form,
                (message, ""),
                &secret,
            )
        }
        Ok((ctx, Err(e))) => {
            let form = extract::form(&body);
            let st = state.clone();
            let groups = web::block(move || st.store.read(group_names))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            form_page(
                &ctx,
                refusal_status(&e),
                form_from(&form, &groups),
                &e.to_string(),
            )
        }
        Err(res) => res,
    }
}
