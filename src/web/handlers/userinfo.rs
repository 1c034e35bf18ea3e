//! /userinfo: the token comes from the Authorization header or a form body, never the query.

use crate::oidc::error::{OAuthError, STORE_RETRY_AFTER_SECS};
use crate::oidc::userinfo::{UserInfoAnswer, UserInfoError, userinfo};
use crate::state::AppState;
use crate::web::{cors, error, extract, headers};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_userinfo(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    serve(&req, state, None).await
}

pub async fn post_userinfo(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let form = extract::form(&body);
    serve(&req, state, form.get("access_token").map(str::to_owned)).await
}

/// `Bearer <token>`, the scheme matched case-insensitively.
fn bearer(req: &HttpRequest) -> Option<Result<String, ()>> {
    let h = extract::authorization(req)?;
    let (scheme, token) = h.trim().split_once(' ').unwrap_or((h.as_str(), ""));
    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
        Some(Ok(token.trim().to_owned()))
    } else {
        Some(Err(()))
    }
}

async fn serve(
    req: &HttpRequest,
    state: web::Data<AppState>,
    body_token: Option<String>,
) -> HttpResponse {
    let token = match (bearer(req), body_token) {
        (Some(_), Some(_)) => {
            return challenge(
                400,
                Some(("invalid_request", "send the token in one place only")),
            );
        }
        (Some(Ok(t)), None) | (None, Some(t)) => t,
        (Some(Err(())), None) => {
            return challenge(401, Some(("invalid_token", "use the Bearer scheme")));
        }
        (None, None) => return challenge(401, None),
    };
    let st = state.clone();
    let origin = cors::request_origin(req);
    let answer = web::block(move || {
        userinfo(
            &st.store,
            &st.keys(),
            &st.settings,
            &token,
            st.clock.now(),
            origin.as_deref(),
        )
    })
    .await
    .unwrap_or_else(|e| UserInfoAnswer {
        result: Err(UserInfoError::Server {
            detail: e.to_string(),
            transient: false,
        }),
        cors_origin: None,
    });
    let mut res = respond(answer.result);
    cors::allow(&mut res, answer.cors_origin.as_deref());
    res
}

fn respond(
    result: Result<serde_json::Map<String, serde_json::Value>, UserInfoError>,
) -> HttpResponse {
    match result {
        Ok(claims) => {
            let mut res = HttpResponse::Ok();
            headers::no_store(&mut res);
            res.json(claims)
        }
        Err(UserInfoError::NoToken) => challenge(401, None),
        Err(UserInfoError::InvalidToken(why)) => challenge(401, Some(("invalid_token", why))),
        Err(UserInfoError::InsufficientScope) => challenge(
            403,
            Some(("insufficient_scope", "the token lacks the openid scope")),
        ),
        Err(UserInfoError::Server { detail, transient }) => {
            let err = if transient {
                OAuthError::unavailable(detail, STORE_RETRY_AFTER_SECS)
            } else {
                OAuthError::server_error(detail)
            };
            error::oauth_json(&err, false)
        }
    }
}

/// RFC 6750 §3: a `WWW-Authenticate: Bearer` challenge, with an error when there is one.
fn challenge(status: u16, err: Option<(&str, &str)>) -> HttpResponse {
    let value = match err {
        Some((code, desc)) => {
            format!(r#"Bearer realm="latchkey", error="{code}", error_description="{desc}""#)
        }
        None => r#"Bearer realm="latchkey""#.to_owned(),
    };
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::UNAUTHORIZED);
    let mut res = HttpResponse::build(status);
    headers::no_store(&mut res);
    res.insert_header(("WWW-Authenticate", value));
    match err {
        Some((code, desc)) => {
            res.json(serde_json::json!({ "error": code, "error_description": desc }))
        }
        None => res.finish(),
    }
}
