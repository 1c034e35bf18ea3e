//! The JSON endpoints of passkey ceremonies, called by `static/passkeys.js` (one endpoint per
//! file): `/login/passkey/begin` and `/login/passkey/finish` (sign in with a passkey, or use
//! one as the second factor), `/account/passkeys/begin` and `/account/passkeys/finish` (add
//! one); and the account page's form `/account/passkeys/remove`.
//!
//! Requests are JSON (`Content-Type: application/json`) carrying the page's CSRF token;
//! refusals are 4xx JSON `{"error": CODE, "message": TEXT}` — never a 500 for bad input.

pub mod account_begin;
pub mod account_finish;
pub mod account_remove;
pub mod login_begin;
pub mod login_finish;

use crate::oidc::error::STORE_RETRY_AFTER_SECS;
use crate::oidc::interaction::second_factor::Target;
use crate::oidc::passkeys::{Begun, Refusal};
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::handlers::login::local_next;
use crate::web::{csrf, headers};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{Value, json};

/// Where the login page sends a browser to sign in again before changing its passkeys.
pub const REAUTH_URL: &str = "/login?next=/account";

/// What the script sends; each endpoint reads the fields it needs.
#[derive(Debug, Default, Deserialize)]
pub struct CeremonyRequest {
    pub csrf_token: Option<String>,
    /// `sign_in` (default) or `second_factor`.
    pub purpose: Option<String>,
    /// The parked authorization request (`req` of the page), or the local page to go to.
    pub req: Option<String>,
    pub next: Option<String>,
    /// A new passkey's name.
    pub name: Option<String>,
    /// The handle `begin` returned.
    pub challenge: Option<String>,
    /// The browser's `PublicKeyCredential`, binary fields as base64url.
    pub credential: Option<Value>,
}

impl CeremonyRequest {
    pub fn second_factor(&self) -> bool {
        self.purpose.as_deref() == Some("second_factor")
    }

    /// The second-factor page's target: the parked request, or an allowed local page.
    pub fn target(&self) -> Option<Target> {
        match (&self.req, &self.next) {
            (Some(h), _) => Some(Target::Request(h.clone())),
            (None, Some(n)) => local_next(n).map(Target::Page),
            (None, None) => Some(Target::Page("/".to_owned())),
        }
    }
}

/// A JSON answer with `status`, never cached.
pub fn reply(status: StatusCode, body: Value) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    headers::no_store(&mut res);
    res.insert_header(("X-Content-Type-Options", "nosniff"))
        .json(body)
}

pub fn error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    reply(status, json!({"error": code, "message": message}))
}

/// A refusal as its JSON error.
pub fn refused(r: &Refusal) -> HttpResponse {
    use StatusCode as S;
    match r {
        Refusal::Unavailable => error(
            S::NOT_FOUND,
            "passkeys_unavailable",
            "Passkeys are not available on this server: its address cannot hold passkeys.",
        ),
        Refusal::NotSignedIn => error(S::UNAUTHORIZED, "not_signed_in", "Sign in first."),
        Refusal::NotFresh => reply(
            S::FORBIDDEN,
            json!({
                "error": "reauth_required",
                "message": "Sign in again before you change how you sign in.",
                "login": REAUTH_URL,
            }),
        ),
        Refusal::Expired => error(
            S::BAD_REQUEST,
            "challenge_expired",
            "This passkey prompt has expired. Try again.",
        ),
        Refusal::RequestExpired => error(
            S::BAD_REQUEST,
            "request_expired",
            "This sign-in request has expired. Go back to the application and try again.",
        ),
        Refusal::Malformed(_) => error(
            S::BAD_REQUEST,
            "invalid_request",
            "The browser's passkey answer could not be read.",
        ),
        Refusal::Rejected => error(
            S::UNAUTHORIZED,
            "passkey_rejected",
            "This passkey was not accepted.",
        ),
        Refusal::TooMany => too_many(
            "Too many passkey prompts were opened from your address. Wait a few minutes.",
            60,
        ),
        Refusal::Taken => error(
            S::CONFLICT,
            "passkey_exists",
            "This passkey is registered already.",
        ),
        Refusal::BadName => error(
            S::BAD_REQUEST,
            "invalid_name",
            "Give the passkey a name of 1 to 64 characters.",
        ),
        Refusal::NoPasskey => error(S::BAD_REQUEST, "no_passkey", "Your account has no passkey."),
        Refusal::Unknown => error(
            S::NOT_FOUND,
            "unknown_passkey",
            "That passkey is not yours.",
        ),
        Refusal::LinkGone => error(
            S::GONE,
            "link_gone",
            "This invite link has been used or has expired. Ask for a new one.",
        ),
        Refusal::LastWayIn => error(
            S::CONFLICT,
            "last_way_in",
            "This passkey is the only way into your account; it cannot be removed.",
        ),
    }
}

/// 429 with `Retry-After`.
pub fn too_many(message: &str, wait: i64) -> HttpResponse {
    let mut res = error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message);
    res.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(wait.max(1)),
    );
    res
}

/// A store failure as JSON: transient ones are 503 with `Retry-After`.
pub fn store_failed(e: StoreError) -> HttpResponse {
    if e.is_transient() {
        tracing::warn!(error = %e, "store temporarily unavailable");
        let mut res = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "The sign-in service is busy. Try again in a few seconds.",
        );
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(STORE_RETRY_AFTER_SECS),
        );
        return res;
    }
    internal(e)
}

pub fn internal(detail: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %detail, "internal error");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "The sign-in service could not finish this request.",
    )
}

/// The request as JSON with a valid CSRF token, or the error to answer.
// The error is the response itself, made once per request: no point boxing it.
#[allow(clippy::result_large_err)]
pub fn parse(
    req: &HttpRequest,
    state: &AppState,
    body: &Bytes,
) -> Result<CeremonyRequest, HttpResponse> {
    let json = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "Send JSON (Content-Type: application/json).",
        ));
    }
    let parsed: CeremonyRequest = serde_json::from_slice(body).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request is not the JSON this endpoint reads.",
        )
    })?;
    if !csrf::verify(req, &state.settings, parsed.csrf_token.as_deref()) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "csrf",
            "This page has expired. Reload it and try again.",
        ));
    }
    Ok(parsed)
}

/// A begun ceremony: the handle and the options for `navigator.credentials`.
pub fn begun(b: Begun) -> HttpResponse {
    reply(
        StatusCode::OK,
        json!({"challenge": b.challenge, "options": b.options}),
    )
}

/// The outcome of one store unit of a ceremony step.
#[allow(clippy::result_large_err)]
pub fn answer<T>(
    outcome: Result<Result<Result<T, Refusal>, StoreError>, actix_web::error::BlockingError>,
) -> Result<T, HttpResponse> {
    match outcome {
        Ok(Ok(Ok(x))) => Ok(x),
        Ok(Ok(Err(r))) => Err(refused(&r)),
        Ok(Err(e)) => Err(store_failed(e)),
        Err(e) => Err(internal(e)),
    }
}
