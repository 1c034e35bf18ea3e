//! /admin/api/v1/keys: signing keys (list, show, rotate). Addressed by key id (`kid`), as
//! `latchkey keys list` shows them. Never a private key.

use super::{ApiError, answer, as_key, parse_body, read_body, segment};
use crate::oidc::admin::keys::{self, KeyView};
use crate::state::AppState;
use crate::store::StoreError;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

/// GET /keys: active keys and those retired within `key_retention_secs`.
pub async fn get_keys(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let retention = state.settings.key_retention_secs;
    answer(
        as_key(&req, &state, move |c, _, now| {
            let list = keys::list(c, now, retention)?;
            let views: Vec<KeyView> = list.iter().map(KeyView::from).collect();
            Ok(serde_json::json!({ "keys": views }))
        })
        .await,
    )
}

/// GET /keys/{kid}
pub async fn get_key(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let retention = state.settings.key_retention_secs;
    let kid = segment(&req, "kid");
    answer(
        as_key(&req, &state, move |c, _, now| {
            let kid = kid?;
            let list = keys::list(c, now, retention)?;
            let k = list
                .iter()
                .find(|k| k.kid == kid)
                .ok_or_else(|| StoreError::NotFound(format!("no signing key {kid:?}")))?;
            serde_json::to_value(KeyView::from(k)).map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotate {
    /// RS256, ES256 or EdDSA; left out: every algorithm.
    alg: Option<String>,
}

/// POST /keys/rotate {alg?}: new keys, the current ones retired (still published for
/// `key_retention_secs`). This server signs with the new keys at once; others sharing the
/// database pick them up within 30 seconds.
pub async fn post_keys_rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    let res = as_key(&req, &state, move |c, actor, now| {
        let b: Rotate = parse_body(&body?)?;
        let created = keys::rotate(c, actor, now, b.alg.as_deref())?;
        let views: Vec<KeyView> = created.iter().map(KeyView::from).collect();
        Ok(serde_json::json!({ "keys": views }))
    })
    .await;
    if res.is_ok() {
        state.reload_keys_now().await;
    }
    answer(res)
}
