//! The UserInfo endpoint (OIDC Core §5.3).

use super::claims::{load_profile, user_claims};
use super::signed_tokens::verify_access_token;
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::domain::{ScopeSet, cors_origin};
use crate::store::{Store, Tx, clients, users};
use serde_json::{Map, Value};

/// Why userinfo refused: both map to 401 with a Bearer challenge.
#[derive(Debug)]
pub enum UserInfoError {
    /// No token at all (RFC 6750 §3.1: no error code in the challenge).
    NoToken,
    InvalidToken(&'static str),
    InsufficientScope,
    /// The store failed; `transient` ones answer 503 with `Retry-After`.
    Server {
        detail: String,
        transient: bool,
    },
}

/// What /userinfo answers: the claims or why not, and the web origin to allow (CORS): the
/// request's `Origin` when the client the token was issued to allows it.
pub struct UserInfoAnswer {
    pub result: Result<Map<String, Value>, UserInfoError>,
    pub cors_origin: Option<String>,
}

/// The claims for the user behind `token`, by the scopes it carries.
/// Claims the `claims` request parameter asked for ride in the token's `userinfo_claims`.
/// `origin` is the request's `Origin` header, looked up in the same store unit.
pub fn userinfo(
    store: &Store,
    ring: &KeyRing,
    settings: &Settings,
    token: &str,
    now: i64,
    origin: Option<&str>,
) -> UserInfoAnswer {
    let read = store.read(|c| {
        let claims = match verify_access_token(c, ring, settings, token, now) {
            Ok(cl) => cl,
            Err(why) => return Ok((Err(UserInfoError::InvalidToken(why)), None)),
        };
        let cors = match origin {
            Some(o) => {
                let client_id = claims
                    .get("client_id")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let allowed = clients::find_web_origins(c, client_id)?;
                cors_origin(Some(o), &allowed).map(str::to_owned)
            }
            None => None,
        };
        Ok((claims_for(c, &claims)?, cors))
    });
    match read {
        Ok((result, cors_origin)) => UserInfoAnswer {
            result,
            cors_origin,
        },
        Err(e) => {
            let e: crate::store::StoreError = e;
            UserInfoAnswer {
                result: Err(UserInfoError::Server {
                    transient: e.is_transient(),
                    detail: e.to_string(),
                }),
                cors_origin: None,
            }
        }
    }
}

/// The claims a verified access token (`claims`) gives access to (also what the admin sign-in
/// checker shows for userinfo, from the access token it would issue).
pub fn claims_for(
    c: &Tx<'_>,
    claims: &Map<String, Value>,
) -> Result<Result<Map<String, Value>, UserInfoError>, crate::store::StoreError> {
    let scope = ScopeSet::parse(claims.get("scope").and_then(Value::as_str).unwrap_or(""))
        .unwrap_or_default();
    if !scope.contains("openid") {
        return Ok(Err(UserInfoError::InsufficientScope));
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    let Some(user) = users::find_user_by_subject(c, sub)? else {
        return Ok(Err(UserInfoError::InvalidToken(
            "the user no longer exists",
        )));
    };
    if user.disabled {
        return Ok(Err(UserInfoError::InvalidToken("the user is disabled")));
    }
    let mut out = Map::new();
    out.insert("sub".into(), user.subject.clone().into());
    let extra: Vec<String> = match claims.get("userinfo_claims") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let profile = load_profile(c, &user, &scope)?;
    out.extend(user_claims(&profile, &scope, &extra));
    Ok(Ok(out))
}
