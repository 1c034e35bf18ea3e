//! /admin/api/v1/: the JSON admin API, one file per resource. Every request carries an admin key
//! (`Authorization: Bearer lka_...`, made with `latchkey admin-key create`), checked in the
//! transaction of its work, and every change goes through `oidc::admin` with
//! `Actor::ApiKey(NAME)`: the same rules and audit rows as the CLI and the admin pages.
//! No cookies, so no CSRF: a browser cannot attach the header cross-site without CORS, which
//! these routes never answer. Every answer is JSON with `Cache-Control: no-store`; a refusal is
//! `{"error": CODE, "error_description": TEXT}` with the codes of `AdminError::status_and_code`.

pub mod apis;
pub mod audit;
pub mod clients;
pub mod elsewhere;
pub mod groups;
pub mod keys;
pub mod sessions;
pub mod users;

use crate::oidc::admin::{Actor, AdminError, PageRequest, api_keys};
use crate::oidc::error::STORE_RETRY_AFTER_SECS;
use crate::state::AppState;
use crate::store::{StoreError, Tx};
use crate::web::{extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// The largest request body: every operation's input is small.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Why a request got no result.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No admin key, or one that is unknown, expired or revoked (all answered alike).
    #[error("an active admin key is required: Authorization: Bearer KEY")]
    Unauthorized,
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// A body or query that is not what the endpoint takes.
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// Too many passwords are being hashed already.
    #[error("too many password operations are waiting; try again in a moment")]
    Busy,
    /// A failure of ours (the detail goes to the log only).
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Admin(AdminError::Store(e))
    }
}

impl ApiError {
    fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            ApiError::Unauthorized => (401, "invalid_token"),
            ApiError::Admin(e) => e.status_and_code(),
            ApiError::BadRequest(_) => (400, "invalid_request"),
            ApiError::TooLarge => (413, "invalid_request"),
            ApiError::Busy => (503, "temporarily_unavailable"),
            ApiError::Internal(_) => (500, "server_error"),
        }
    }

    pub fn response(&self) -> HttpResponse {
        let (status, code) = self.status_and_code();
        let description = if status == 500 {
            tracing::error!(error = %self, "admin API request failed");
            "the server could not finish this request".to_owned()
        } else {
            if status == 503 {
                tracing::warn!(error = %self, "admin API request refused for now");
            }
            self.to_string()
        };
        let mut res = HttpResponse::build(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
        headers::no_store(&mut res);
        if status == 401 {
            res.insert_header((
                "WWW-Authenticate",
                r#"Bearer realm="latchkey", error="invalid_token""#,
            ));
        }
        if status == 503 {
            res.insert_header(("Retry-After", STORE_RETRY_AFTER_SECS.to_string()));
        }
        res.json(serde_json::json!({ "error": code, "error_description": description }))
    }
}

/// A JSON answer.
pub fn json(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    headers::no_store(&mut res);
    res.json(body)
}

/// `Ok` as 200 (or `created` as 201), `Err` as its JSON error.
pub fn answer(result: Result<serde_json::Value, ApiError>) -> HttpResponse {
    match result {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => e.response(),
    }
}

pub fn created(result: Result<serde_json::Value, ApiError>) -> HttpResponse {
    match result {
        Ok(body) => json(StatusCode::CREATED, body),
        Err(e) => e.response(),
    }
}

/// The key of `Authorization: Bearer KEY` (the scheme in any case).
fn bearer(req: &HttpRequest) -> Option<String> {
    let h = extract::authorization(req)?;
    let (scheme, key) = h.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty()).then(|| key.trim().to_owned())
}

/// Check the request's admin key and run `work` as it, in one write transaction off the
/// executor (an error rolls everything back, the audit row with it).
pub async fn as_key<T: Send + 'static>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    work: impl FnOnce(&Tx<'_>, &Actor, i64) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let Some(key) = bearer(req) else {
        return Err(ApiError::Unauthorized);
    };
    let st = state.clone();
    let out = web::block(move || {
        let now = st.clock.now();
        st.store
            .write(|c| match api_keys::authenticate(c, &key, now)? {
                Some(actor) => work(c, &actor, now),
                None => Err(ApiError::Unauthorized),
            })
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(out)
}

/// Only check the key: before slow work (hashing a password) that a stranger must not cause.
pub async fn check_key(req: &HttpRequest, state: &web::Data<AppState>) -> Result<(), ApiError> {
    as_key(req, state, |_, _, _| Ok(())).await
}

/// The body, at most [`MAX_BODY_BYTES`].
pub async fn read_body(mut payload: web::Payload) -> Result<Bytes, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The body as `T` (an empty body as `{}`, for operations whose input is all optional).
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("the body is not the JSON this endpoint takes: {e}"))
    })
}

/// The query string as `T`.
pub fn parse_query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::BadRequest(format!("invalid query: {e}")))
}

/// A path segment by name (`{username}`), percent-decoded: an API identifier such as
/// `https://api.example.com` travels as `https%3A%2F%2Fapi.example.com`.
pub fn segment(req: &HttpRequest, name: &str) -> Result<String, ApiError> {
    let raw = req.match_info().get(name).unwrap_or_default();
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::BadRequest(format!("the {name} in the path is not UTF-8")))
}

/// The page a list request asks for (`after` and `limit` in its query).
pub fn page_request(after: Option<String>, limit: Option<i64>) -> PageRequest {
    PageRequest {
        after: after.filter(|a| !a.is_empty()),
        limit,
    }
}

/// A page as JSON: `{KEY: [...], "next": CURSOR or null}`.
pub fn page_json<T: serde::Serialize>(
    key: &str,
    page: &crate::oidc::admin::Page<T>,
) -> Result<serde_json::Value, ApiError> {
    let items = serde_json::to_value(&page.items).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(serde_json::json!({ key: items, "next": page.next }))
}

/// Wake the back-channel logout sender: a change may have ended sessions.
pub fn nudge_outbox(state: &AppState) {
    state.outbox_nudge.notify_one();
}
