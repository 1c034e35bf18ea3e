//! The shape shared by the token, revocation and introspection endpoints: a form body, client
//! authentication, blocking work, and RFC 6749 §5.2 errors.

use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::oidc::client_auth;
use crate::oidc::error::OAuthError;
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::{Store, clients};
use crate::web::{cors, error, extract, headers};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// An endpoint of the `oidc` layer: (store, keys, settings, now, Authorization header, form).
pub type Endpoint<T> =
    fn(&Store, &KeyRing, &Settings, i64, Option<&str>, &Params) -> Result<T, OAuthError>;

/// Run `f` (an [`Endpoint`], or a closure of its shape) off the executor; an error becomes the
/// OAuth JSON response. No CORS: for endpoints browsers must not read (/introspect).
pub async fn call<T, F>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &Bytes,
    f: F,
) -> Result<T, HttpResponse>
where
    T: Send + 'static,
    F: FnOnce(&Store, &KeyRing, &Settings, i64, Option<&str>, &Params) -> Result<T, OAuthError>
        + Send
        + 'static,
{
    run(req, state, body, None, f).await.0
}

/// The answer of an endpoint browser apps call, and the web origin it may be read from.
pub struct Called<T> {
    result: Result<T, HttpResponse>,
    cors_origin: Option<String>,
}

impl<T> Called<T> {
    /// The response (`ok` for a success), with the CORS headers: an allowed origin reads errors
    /// too.
    pub fn respond(self, ok: impl FnOnce(T) -> HttpResponse) -> HttpResponse {
        let mut res = match self.result {
            Ok(t) => ok(t),
            Err(res) => res,
        };
        cors::allow(&mut res, self.cors_origin.as_deref());
        res
    }
}

/// As [`call`], for the endpoints browser apps call (/token, /revoke, /device_authorization):
/// the request's `Origin` is allowed when the client named by the request (body or Basic
/// `client_id`) allows it, looked up in the same blocking unit.
pub async fn call_cors<T, F>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &Bytes,
    f: F,
) -> Called<T>
where
    T: Send + 'static,
    F: FnOnce(&Store, &KeyRing, &Settings, i64, Option<&str>, &Params) -> Result<T, OAuthError>
        + Send
        + 'static,
{
    let (result, cors_origin) = run(req, state, body, cors::request_origin(req), f).await;
    Called {
        result,
        cors_origin,
    }
}

async fn run<T, F>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &Bytes,
    origin: Option<String>,
    f: F,
) -> (Result<T, HttpResponse>, Option<String>)
where
    T: Send + 'static,
    F: FnOnce(&Store, &KeyRing, &Settings, i64, Option<&str>, &Params) -> Result<T, OAuthError>
        + Send
        + 'static,
{
    let auth = extract::authorization(req);
    let basic_used = auth.is_some();
    let params = extract::form(body);
    let st = state.clone();
    let (result, cors_origin) = web::block(move || {
        let result = f(
            &st.store,
            &st.keys(),
            &st.settings,
            st.clock.now(),
            auth.as_deref(),
            &params,
        );
        // Only browsers send Origin: other callers pay no lookup. A failed lookup allows nothing.
        let cors_origin = origin.and_then(|o| {
            let client = client_auth::extract(auth.as_deref(), &params).ok()?;
            let allowed = st
                .store
                .read(|c| clients::find_web_origins(c, &client.client_id))
                .ok()?;
            crate::domain::cors_origin(Some(&o), &allowed).map(str::to_owned)
        });
        (result, cors_origin)
    })
    .await
    .unwrap_or_else(|e| (Err(OAuthError::server_error(e)), None));
    (
        result.map_err(|e| error::oauth_json(&e, basic_used)),
        cors_origin,
    )
}

/// 200 with a JSON body that no cache may keep.
pub fn no_store_json(body: &impl serde::Serialize) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    headers::no_store(&mut res);
    res.json(body)
}
