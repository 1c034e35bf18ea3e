//! /authorize (GET and POST) and /authorize/resume (after login or consent).

use crate::oidc::authorize::{self as az, Rejection, Reply, ResponseMode};
use crate::oidc::interaction::{self, Outcome, Visit};
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::templates::{Field, FormPostPage, NoAccessPage, Page};
use crate::web::{cookies, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// The browser behind this request: its session cookie, its source address, the time.
pub fn visit_of(req: &HttpRequest, state: &AppState) -> Visit {
    Visit {
        cookie: cookies::read(req, &state.settings, cookies::SESSION),
        source: crate::oidc::throttle::source(
            extract::client_info(req, &state.settings).ip.as_deref(),
        ),
        now: state.clock.now(),
    }
}

pub async fn get_authorize(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    start(req.clone(), state, extract::query(&req)).await
}

pub async fn post_authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    start(req, state, extract::form(&body)).await
}

async fn start(req: HttpRequest, state: web::Data<AppState>, params: Params) -> HttpResponse {
    let visit = visit_of(&req, &state);
    let st = state.clone();
    let outcome = web::block(move || {
        st.store.write_short_lived(|c| {
            interaction::authorize::start(c, &st.settings, &st.keys(), &visit, &params)
        })
    })
    .await;
    respond(&state, outcome)
}

pub async fn get_authorize_resume(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let handle = extract::query(&req).get("req").unwrap_or("").to_owned();
    let visit = visit_of(&req, &state);
    let st = state.clone();
    let outcome = web::block(move || {
        st.store
            .write_short_lived(|c| interaction::authorize::resume(c, &st.settings, &visit, &handle))
    })
    .await;
    respond(&state, outcome)
}

/// Turn an outcome into the HTTP answer.
pub fn respond(
    state: &AppState,
    outcome: Result<Result<Outcome, StoreError>, actix_web::error::BlockingError>,
) -> HttpResponse {
    match outcome {
        Ok(Ok(o)) => respond_outcome(state, o),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}

pub fn respond_outcome(state: &AppState, outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::Local(path) => see_other(&path),
        Outcome::ToClient(reply, params) => to_client(&reply, &params),
        Outcome::Rejected(Rejection::Page { title, message }) => {
            error::page(StatusCode::BAD_REQUEST, title, &message)
        }
        Outcome::Rejected(Rejection::Redirect(rejected)) => {
            let (reply, err) = *rejected;
            tracing::debug!(error = %err, "authorization request refused");
            let params = az::error_params(&err, &reply, &state.settings.issuer);
            to_client(&reply, &params)
        }
        Outcome::Rejected(Rejection::Store(e)) => error::store(e),
        Outcome::Expired => expired(),
        Outcome::TooManyPending => {
            state
                .metrics
                .throttled(crate::metrics::Throttle::PendingRequests);
            let mut res = error::page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-in requests",
                "Too many unfinished sign-in requests came from your network. Finish or close the ones you have open, or wait a few minutes, then go back to the application and try again.",
            );
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(60),
            );
            res
        }
        Outcome::Denied {
            app_name,
            username,
            reply,
            params,
        } => no_access(&app_name, &username, &reply, &params),
    }
}

/// "You don't have access to <App>", with a way back to the app that carries the error.
fn no_access(
    app_name: &str,
    username: &str,
    reply: &Reply,
    params: &[(&'static str, String)],
) -> HttpResponse {
    let fields = || {
        params
            .iter()
            .map(|(name, value)| Field {
                name,
                value: value.clone(),
            })
            .collect()
    };
    let (return_url, action, fields) = match reply.response_mode {
        ResponseMode::Query => (
            az::redirect_url(&reply.redirect_uri, params),
            "",
            Vec::new(),
        ),
        ResponseMode::FormPost => (String::new(), reply.redirect_uri.as_str(), fields()),
    };
    let body = NoAccessPage {
        app_name,
        username,
        return_url: &return_url,
        action,
        fields,
    }
    .render_html();
    headers::html(
        StatusCode::FORBIDDEN,
        body,
        std::slice::from_ref(&reply.redirect_uri),
    )
}

pub fn expired() -> HttpResponse {
    error::page(
        StatusCode::BAD_REQUEST,
        "This sign-in request has expired",
        "Go back to the application you came from and start signing in again.",
    )
}

pub fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", path))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// Deliver the response to the client's (validated) redirect_uri, by query or by form post.
pub fn to_client(reply: &Reply, params: &[(&'static str, String)]) -> HttpResponse {
    match reply.response_mode {
        ResponseMode::Query => HttpResponse::Found()
            .insert_header(("Location", az::redirect_url(&reply.redirect_uri, params)))
            .insert_header(("Cache-Control", "no-store"))
            .finish(),
        ResponseMode::FormPost => {
            let body = FormPostPage {
                action: &reply.redirect_uri,
                fields: params
                    .iter()
                    .map(|(name, value)| Field {
                        name,
                        value: value.clone(),
                    })
                    .collect(),
            }
            .render_html();
            headers::html(
                StatusCode::OK,
                body,
                std::slice::from_ref(&reply.redirect_uri),
            )
        }
    }
}
