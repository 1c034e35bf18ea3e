//! RP-Initiated Logout 1.0: which client asks, and where (if anywhere) to send the browser after.

use super::params::Params;
use super::signed_tokens::ID_TOKEN_TYP;
use crate::config::Settings;
use crate::crypto::jwt;
use crate::crypto::keys::KeyRing;
use crate::store::clients::{self, Client};
use crate::store::{StoreError, Tx};
use serde_json::Value;

/// A logout request whose parts have been checked.
#[derive(Debug)]
pub struct LogoutRequest {
    pub client: Option<Client>,
    /// The post-logout redirect URI, only when it exactly equals one the client registered.
    pub redirect: Option<String>,
    /// A post_logout_redirect_uri was sent but is not registered (we will not redirect).
    pub redirect_refused: bool,
    pub state: Option<String>,
    /// `sub` of a valid id_token_hint.
    pub hint_sub: Option<String>,
}

/// Check the parameters. `Err(message)` is for a request we must refuse outright (a forged or
/// foreign id_token_hint, an unknown client): the caller shows an error page and never redirects.
pub fn check(
    c: &Tx<'_>,
    ring: &KeyRing,
    settings: &Settings,
    p: &Params,
) -> Result<Result<LogoutRequest, &'static str>, StoreError> {
    let mut hint_sub = None;
    let mut hint_aud: Option<String> = None;
    if let Some(hint) = p.get("id_token_hint") {
        // Expired hints are fine (the user may have been away); a bad signature or issuer is not.
        let Ok(claims) = jwt::verify(ring, hint, &[ID_TOKEN_TYP]) else {
            return Ok(Err(
                "The sign-out request carries an ID token that was not issued by this service.",
            ));
        };
        if claims.get("iss").and_then(Value::as_str) != Some(settings.issuer.as_str()) {
            return Ok(Err(
                "The sign-out request carries an ID token that was not issued by this service.",
            ));
        }
        hint_sub = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
        hint_aud = match claims.get("aud") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
    }
    let client_id = match (hint_aud, p.get("client_id")) {
        (Some(a), Some(b)) if a != b => {
            return Ok(Err(
                "The sign-out request names two different applications.",
            ));
        }
        (Some(a), _) => Some(a),
        (None, b) => b.map(str::to_owned),
    };
    let client = match client_id {
        Some(id) => match clients::find_client(c, &id)? {
            Some(cl) => Some(cl),
            None => {
                return Ok(Err(
                    "The application that sent you here is not registered with this service.",
                ));
            }
        },
        None => None,
    };
    let requested = p.get("post_logout_redirect_uri");
    let redirect = match (&client, requested) {
        (Some(cl), Some(uri)) if cl.post_logout_redirect_uris.iter().any(|u| u == uri) => {
            Some(uri.to_owned())
        }
        _ => None,
    };
    Ok(Ok(LogoutRequest {
        redirect_refused: requested.is_some() && redirect.is_none(),
        client,
        redirect,
        state: p.get("state").map(str::to_owned),
        hint_sub,
    }))
}

/// The browser's destination after logout: the redirect URI with `state` (correctly encoded).
pub fn redirect_url(uri: &str, state: Option<&str>) -> String {
    match state {
        Some(s) => super::authorize::redirect_url(uri, &[("state", s.to_owned())]),
        None => uri.to_owned(),
    }
}
