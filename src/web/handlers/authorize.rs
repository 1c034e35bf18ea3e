//! /authorize (GET and POST) and /authorize/resume (after login or consent).

use crate::oidc::access;
use crate::oidc::authorize::{self as az, AuthRequest, Next, Rejection, Reply, ResponseMode};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::login;
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::clients::Client;
use crate::store::users::User;
use crate::web::templates::{Field, FormPostPage, NoAccessPage, Page};
use crate::web::{cookies, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// Where a request goes next.
pub enum Outcome {
    Rejected(Rejection),
    /// To one of our pages (login or consent), by 303.
    Local(String),
    /// Back to the client, with these parameters.
    ToClient(Reply, Vec<(&'static str, String)>),
    /// The pending request is gone (expired or finished).
    Expired,
    /// The client address already holds `pending_requests_per_address` unfinished requests.
    TooManyPending,
    /// The user may not use this app: a page saying so, with a way back carrying access_denied.
    Denied {
        app_name: String,
        username: String,
        reply: Reply,
        params: Vec<(&'static str, String)>,
    },
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
    let cookie = cookies::read(&req, &state.settings, cookies::SESSION);
    let source = source_of(&req, &state);
    let st = state.clone();
    let outcome = web::block(move || -> Result<Outcome, StoreError> {
        let now = st.clock.now();
        let ring = st.keys();
        let validated = st
            .store
            .read(|c| Ok(az::validate(c, &params, &ring, &st.settings, now)))?;
        match validated {
            Ok((areq, client)) => {
                let visit = Visit {
                    cookie: cookie.as_deref(),
                    source: &source,
                };
                proceed(&st, areq, client, visit, None, now)
            }
            Err(rejection) => Ok(Outcome::Rejected(rejection)),
        }
    })
    .await;
    respond(&state, outcome)
}

pub async fn get_authorize_resume(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let handle = extract::query(&req).get("req").unwrap_or("").to_owned();
    let cookie = cookies::read(&req, &state.settings, cookies::SESSION);
    let source = source_of(&req, &state);
    let st = state.clone();
    let outcome = web::block(move || -> Result<Outcome, StoreError> {
        let now = st.clock.now();
        match st.store.read(|c| az::unpark(c, &handle, now))? {
            Some((areq, client)) => {
                let visit = Visit {
                    cookie: cookie.as_deref(),
                    source: &source,
                };
                proceed(&st, areq, client, visit, Some(handle), now)
            }
            None => Ok(Outcome::Expired),
        }
    })
    .await;
    respond(&state, outcome)
}

/// Where a request comes from, as far as the decision is concerned.
#[derive(Clone, Copy)]
pub struct Visit<'a> {
    /// The session cookie, if any.
    pub cookie: Option<&'a str>,
    /// The client address as the throttles count it (`throttle::source`).
    pub source: &'a str,
}

fn source_of(req: &HttpRequest, state: &AppState) -> String {
    crate::oidc::throttle::source(extract::client_info(req, &state.settings).ip.as_deref())
}

/// Decide for a validated request: sign in, consent, or answer the client.
/// `handle` is set when the request is already parked.
pub fn proceed(
    st: &AppState,
    areq: AuthRequest,
    client: Client,
    visit: Visit<'_>,
    handle: Option<String>,
    now: i64,
) -> Result<Outcome, StoreError> {
    let session = match visit.cookie {
        Some(ck) => st
            .store
            .read(|c| login::current_session(c, ck, &st.settings, now))?,
        None => None,
    };
    let (may_use, granted) = match &session {
        Some((_, user)) => st.store.read(|c| {
            Ok((
                access::may_use(c, user, &client)?,
                az::granted_scopes(c, user.id, client.id)?,
            ))
        })?,
        None => (true, None),
    };
    let next = az::decide(
        &areq,
        &client,
        session.as_ref().map(|(s, u)| (s, u)),
        may_use,
        granted.as_ref(),
        now,
    );
    let park = |page: &str| -> Result<Outcome, StoreError> {
        let h = match &handle {
            Some(h) => h.clone(),
            None => {
                let limit = st.settings.pending_requests_per_address;
                match st
                    .store
                    .write(|c| az::park(c, &areq, visit.source, limit, now))?
                {
                    Some(h) => h,
                    None => return Ok(Outcome::TooManyPending),
                }
            }
        };
        Ok(Outcome::Local(format!("/{page}?req={h}")))
    };
    match next {
        Next::Login => park("login"),
        Next::Consent => park("consent"),
        Next::Issue => {
            let Some((s, user)) = session else {
                return park("login");
            };
            let code = st.store.write(|c| {
                login::touch(c, &s, now)?;
                if let Some(h) = &handle {
                    az::forget(c, h)?;
                }
                az::issue_code(c, &areq, &s, &user, now)
            })?;
            let reply = Reply::of(&areq);
            let params = az::success_params(&code, &reply, &st.settings.issuer);
            Ok(Outcome::ToClient(reply, params))
        }
        Next::Denied => {
            let Some((_, user)) = session else {
                return park("login");
            };
            Ok(deny(
                st,
                &areq,
                &client,
                &user,
                handle.as_deref(),
                "authorize",
                now,
            )?)
        }
        Next::Fail(code, msg) => {
            if let Some(h) = &handle {
                st.store.write(|c| az::forget(c, h))?;
            }
            if code == ErrorCode::AccessDenied
                && let Some((_, user)) = &session
            {
                st.store
                    .write(|c| access::record_denied(c, user, &client, "authorize", now))?;
            }
            let reply = Reply::of(&areq);
            let params = az::error_params(&OAuthError::new(code, msg), &reply, &st.settings.issuer);
            Ok(Outcome::ToClient(reply, params))
        }
    }
}

/// Refuse a user outside the client's allowed groups: forget the request, audit, and answer
/// with a page whose way back gives the client `access_denied`.
pub fn deny(
    st: &AppState,
    areq: &AuthRequest,
    client: &Client,
    user: &User,
    handle: Option<&str>,
    at: &str,
    now: i64,
) -> Result<Outcome, StoreError> {
    st.store.write(|c| {
        if let Some(h) = handle {
            az::forget(c, h)?;
        }
        access::record_denied(c, user, client, at, now)
    })?;
    let reply = Reply::of(areq);
    let err = OAuthError::new(
        ErrorCode::AccessDenied,
        "the user may not use this application",
    );
    let params = az::error_params(&err, &reply, &st.settings.issuer);
    Ok(Outcome::Denied {
        app_name: client.name.clone(),
        username: user.username.clone(),
        reply,
        params,
    })
}

/// Turn an outcome into the HTTP answer.
pub fn respond(
    state: &AppState,
    outcome: Result<Result<Outcome, StoreError>, actix_web::error::BlockingError>,
) -> HttpResponse {
    match outcome {
        Ok(Ok(o)) => respond_outcome(state, o),
        Ok(Err(e)) => error::internal(e),
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
        Outcome::Rejected(Rejection::Redirect(reply, err)) => {
            tracing::debug!(error = %err, "authorization request refused");
            let params = az::error_params(&err, &reply, &state.settings.issuer);
            to_client(&reply, &params)
        }
        Outcome::Rejected(Rejection::Store(e)) => error::internal(e),
        Outcome::Expired => expired(),
        Outcome::TooManyPending => {
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
