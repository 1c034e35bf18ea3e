//! CORS for the endpoints browser apps call (/token, /userinfo, /revoke,
//! /device_authorization). The actual response echoes `Origin` only when the client concerned
//! allows it (the decision is `domain::cors_origin`); a preflight cannot name the client, so it
//! is answered for any origin some client allows. Never `Access-Control-Allow-Credentials`.

use crate::state::AppState;
use crate::store::clients;
use crate::web::error;
use actix_web::http::header::{HeaderValue, ORIGIN, VARY};
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

/// How long a browser may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

/// The request's `Origin`, when it is one a client could have registered.
pub fn request_origin(req: &HttpRequest) -> Option<String> {
    let o = req.headers().get(ORIGIN)?.to_str().ok()?;
    crate::domain::WebOrigin::parse(o)
        .ok()
        .filter(|w| w.as_str() == o)
        .map(|w| w.as_str().to_owned())
}

/// Add `Access-Control-Allow-Origin: origin` (when there is one) and `Vary: Origin`.
pub fn allow(res: &mut HttpResponse, origin: Option<&str>) {
    let h = res.headers_mut();
    h.append(VARY, HeaderValue::from_static("Origin"));
    if let Some(v) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        h.insert(actix_web::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
}

/// The preflight answer (`OPTIONS`): 204 with the methods, headers and max age; the origin is
/// echoed only when some client allows it.
pub fn preflight_response(methods: &'static str, origin: Option<&str>) -> HttpResponse {
    let mut res = HttpResponse::NoContent()
        .insert_header(("Access-Control-Allow-Methods", methods))
        .insert_header((
            "Access-Control-Allow-Headers",
            "authorization, content-type",
        ))
        .insert_header(("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_SECS.to_string()))
        .finish();
    allow(&mut res, origin);
    res
}

async fn preflight(
    req: HttpRequest,
    state: web::Data<AppState>,
    methods: &'static str,
) -> HttpResponse {
    let Some(origin) = request_origin(&req) else {
        return preflight_response(methods, None);
    };
    let st = state.clone();
    let o = origin.clone();
    match web::block(move || {
        st.store
            .read(|c| clients::any_client_allows_web_origin(c, &o))
    })
    .await
    {
        Ok(Ok(true)) => preflight_response(methods, Some(&origin)),
        Ok(Ok(false)) => preflight_response(methods, None),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}

/// OPTIONS on an endpoint that takes POST only.
pub async fn options_post(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    preflight(req, state, "POST").await
}

/// OPTIONS on /userinfo (GET and POST).
pub async fn options_get_post(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    preflight(req, state, "GET, POST").await
}
