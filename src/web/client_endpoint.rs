//! The shape shared by the token, revocation and introspection endpoints: a form body, client
//! authentication, blocking work, and RFC 6749 §5.2 errors.

use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::oidc::error::OAuthError;
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::Store;
use crate::web::{error, extract, headers};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// An endpoint of the `oidc` layer: (store, keys, settings, now, Authorization header, form).
pub type Endpoint<T> =
    fn(&Store, &KeyRing, &Settings, i64, Option<&str>, &Params) -> Result<T, OAuthError>;

/// Run `f` (an [`Endpoint`], or a closure of its shape) off the executor; an error becomes the
/// OAuth JSON response.
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
    let auth = extract::authorization(req);
    let basic_used = auth.is_some();
    let params = extract::form(body);
    let st = state.clone();
    web::block(move || {
        f(
            &st.store,
            &st.keys(),
            &st.settings,
            st.clock.now(),
            auth.as_deref(),
            &params,
        )
    })
    .await
    .unwrap_or_else(|e| Err(OAuthError::server_error(e)))
    .map_err(|e| error::oauth_json(&e, basic_used))
}

/// 200 with a JSON body that no cache may keep.
pub fn no_store_json(body: &impl serde::Serialize) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    headers::no_store(&mut res);
    res.json(body)
}
