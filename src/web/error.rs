//! Turning errors into responses: OAuth JSON (RFC 6749 §5.2) or a readable HTML page.
//! Details go to the log, never to the client.

use super::headers;
use super::templates::{ErrorPage, Page};
use crate::oidc::error::{ErrorCode, OAuthError, STORE_RETRY_AFTER_SECS};
use crate::store::StoreError;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;

/// A JSON error for the token, revocation and introspection endpoints.
/// `basic_used`: the client tried HTTP Basic, so a 401 carries a Basic challenge.
pub fn oauth_json(err: &OAuthError, basic_used: bool) -> HttpResponse {
    log(err);
    let status = match err.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable if err.too_many => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut res = HttpResponse::build(status);
    headers::no_store(&mut res);
    if let Some(secs) = err.retry_after {
        res.insert_header(("Retry-After", secs.max(1).to_string()));
    }
    if err.code == ErrorCode::InvalidClient && basic_used {
        res.insert_header((
            "WWW-Authenticate",
            r#"Basic realm="latchkey", charset="UTF-8""#,
        ));
    }
    res.json(serde_json::json!({
        "error": err.code.as_str(),
        "error_description": err.description(),
    }))
}

fn log(err: &OAuthError) {
    if err.code == ErrorCode::ServerError {
        tracing::error!(error = %err, "request failed");
    } else {
        tracing::debug!(error = %err, "request refused");
    }
}

/// A readable page for a person, with `status`.
pub fn page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let body = ErrorPage { title, message }.render_html();
    headers::html(status, body, &[])
}

/// A store failure, for a person: a transient one (see `StoreError::is_transient`) is a 503
/// page with `Retry-After`; anything else the generic 500 page.
pub fn store(e: StoreError) -> HttpResponse {
    if !e.is_transient() {
        return internal(e);
    }
    tracing::warn!(error = %e, "store temporarily unavailable");
    let mut res = page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "The sign-in service is busy or cannot save right now. Please try again in a few seconds.",
    );
    res.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(STORE_RETRY_AFTER_SECS),
    );
    res
}

/// For failures nobody can act on: a generic page, the detail in the log.
pub fn internal(detail: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %detail, "internal error");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The sign-in service could not finish this request. Please try again in a moment.",
    )
}
