//! /admin/keys: the signing keys with their ages and state (GET), and rotating them (POST
//! /admin/keys/rotate). A rotation is [`keys::rotate`], as `latchkey keys rotate` runs it; this
//! server then serves the new keys at once instead of at its next upkeep.

use super::{AdminCtx, as_admin, as_admin_post, refusal_status, show};
use crate::oidc::admin::{dashboard, keys};
use crate::state::AppState;
use crate::web::error;
use crate::web::templates::{AdminKeysPage, KeyAgeView};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_keys(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let settings = state.settings.clone();
    let found = as_admin(&req, &state, move |c, _, now| {
        Ok(dashboard::key_ages(c, &settings, now).map(|ks| rows(&ks, now)))
    })
    .await;
    match found {
        Ok((ctx, Ok(rows))) => ctx.render(StatusCode::OK, &page(&ctx, &state, rows, "", "")),
        Ok((_, Err(e))) => error::internal(e),
        Err(res) => res,
    }
}

pub async fn post_rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let settings = state.settings.clone();
    let done = as_admin_post(&req, &state, &body, move |c, actor, form, now| {
        let alg = form.get("alg").filter(|a| !a.is_empty());
        let created = keys::rotate(c, actor, now, alg)?;
        let listed = dashboard::key_ages(c, &settings, now)?;
        let new: Vec<String> = created
            .iter()
            .map(|k| format!("{} {}", k.alg.as_str(), k.kid))
            .collect();
        Ok((rows(&listed, now), new))
    })
    .await;
    match done {
        Ok((ctx, Ok((rows, new)))) => {
            state.reload_keys_now().await;
            let message = format!(
                "New signing key{} {}: signing from now on.",
                if new.len() == 1 { "" } else { "s" },
                new.join(", ")
            );
            ctx.render(StatusCode::OK, &page(&ctx, &state, rows, &message, ""))
        }
        Ok((ctx, Err(refused))) => {
            let settings = state.settings.clone();
            let listed = as_admin(&req, &state, move |c, _, now| {
                Ok(dashboard::key_ages(c, &settings, now).map(|ks| rows(&ks, now)))
            })
            .await;
            match listed {
                Ok((_, Ok(rows))) => ctx.render(
                    refusal_status(&refused),
                    &page(&ctx, &state, rows, "", &refused.to_string()),
                ),
                Ok((_, Err(e))) => error::internal(e),
                Err(res) => res,
            }
        }
        Err(res) => res,
    }
}

fn rows(keys: &[dashboard::KeyAge], now: i64) -> Vec<KeyAgeView> {
    keys.iter().map(|k| show::key_age(k, now)).collect()
}

fn page(
    ctx: &AdminCtx,
    state: &AppState,
    keys: Vec<KeyAgeView>,
    message: &str,
    err: &str,
) -> AdminKeysPage {
    AdminKeysPage {
        layout: ctx.layout("keys").with_message(message).with_error(err),
        keys,
        rotation: show::span(state.settings.key_rotation_secs),
        retention: show::span(state.settings.key_retention_secs),
    }
}
