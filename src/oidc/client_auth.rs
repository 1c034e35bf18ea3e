//! Client authentication at the token, revocation and introspection endpoints:
//! client_secret_basic, client_secret_post, or none (public clients).

use super::error::OAuthError;
use super::params::Params;
use crate::crypto::random;
use crate::store::{StoreError, Tx, clients, clients::Client};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Basic,
    Post,
    None,
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub secret: Option<String>,
    pub method: AuthMethod,
}

/// Read the client's credentials from the Authorization header or the form body.
/// Using two methods at once is an error (RFC 6749 §2.3).
pub fn extract(authorization: Option<&str>, params: &Params) -> Result<Credentials, OAuthError> {
    let basic = match authorization {
        Some(h) => Some(parse_basic(h)?),
        None => None,
    };
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    if params.is_repeated("client_id") || params.is_repeated("client_secret") {
        return Err(OAuthError::invalid_request(
            "client_id or client_secret is repeated",
        ));
    }
    match (basic, body_id, body_secret) {
        (Some(_), _, Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method, not both Basic and client_secret",
        )),
        (Some((id, secret)), body_id, None) => {
            if body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request(
                    "client_id does not match the Authorization header",
                ));
            }
            Ok(Credentials {
                client_id: id,
                secret: Some(secret),
                method: AuthMethod::Basic,
            })
        }
        (None, Some(id), Some(secret)) => Ok(Credentials {
            client_id: id.to_owned(),
            secret: Some(secret.to_owned()),
            method: AuthMethod::Post,
        }),
        (None, Some(id), None) => Ok(Credentials {
            client_id: id.to_owned(),
            secret: None,
            method: AuthMethod::None,
        }),
        (None, None, _) => Err(OAuthError::invalid_client(
            "client authentication is required",
        )),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1.
fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let bad = || OAuthError::invalid_client("malformed Basic credentials");
    let (scheme, rest) = header.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(
            "only Basic client authentication is supported in the Authorization header",
        ));
    }
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let dec = |s: &str| -> Result<String, OAuthError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(&format!("v={}", s.replace('&', "%26").replace('=', "%3D")))
                .map_err(|_| bad())?;
        Ok(pairs.into_iter().next().map(|(_, v)| v).unwrap_or_default())
    };
    let (id, secret) = (dec(id)?, dec(secret)?);
    if id.is_empty() {
        return Err(bad());
    }
    Ok((id, secret))
}

/// Look the client up and check its credentials. Every failure is the same `invalid_client`.
/// The store's own errors stay apart from the client's (`Err`), so a write unit that
/// authenticates its client fails as a whole on a database error and is never mistaken for a
/// refused client.
pub fn check(c: &Tx<'_>, creds: &Credentials) -> Result<Result<Client, OAuthError>, StoreError> {
    let fail = || OAuthError::invalid_client("client authentication failed");
    let Some(client) = clients::find_client(c, &creds.client_id)? else {
        return Ok(Err(fail().with_detail("unknown client")));
    };
    match (&client.secret_hash, &creds.secret) {
        (Some(hash), Some(secret)) => {
            if !random::constant_time_eq(&random::hash_token(secret), hash) {
                return Ok(Err(fail().with_detail("wrong secret")));
            }
        }
        (None, None) => {}
        (Some(_), None) => {
            return Ok(Err(fail().with_detail("confidential client sent no secret")));
        }
        (None, Some(_)) => return Ok(Err(fail().with_detail("public client sent a secret"))),
    }
    Ok(Ok(client))
}

/// A request's client credentials, once its parameters pass the checks every client endpoint
/// makes (size, no repeated parameter): not yet looked up.
pub fn credentials(authorization: Option<&str>, p: &Params) -> Result<Credentials, OAuthError> {
    if p.is_oversized() {
        return Err(OAuthError::invalid_request(
            "the request has too many parameters or one that is too long",
        ));
    }
    if let Some(name) = p.first_repeated() {
        return Err(OAuthError::invalid_request(format!(
            "parameter {name} is repeated"
        )));
    }
    extract(authorization, p)
}

/// Extract and check the credentials of a request in one step.
pub fn authenticate_request(
    store: &crate::store::Store,
    authorization: Option<&str>,
    p: &Params,
) -> Result<Client, OAuthError> {
    let creds = credentials(authorization, p)?;
    store.read(|c| check(c, &creds))?
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn basic_credentials_are_form_urldecoded() {
        let h = format!("Basic {}", STANDARD.encode("my%3Aclient:s%2Bcr%20t+x"));
        let (id, secret) = parse_basic(&h).unwrap();
        assert_eq!(id, "my:client");
        assert_eq!(secret, "s+cr t x");
    }
    #[test]
    fn two_authentication_methods_are_refused() {
        let h = format!("Basic {}", STANDARD.encode("a:b"));
        let p = Params::parse("client_id=a&client_secret=b");
        assert_eq!(
            extract(Some(&h), &p).unwrap_err().code,
            super::super::error::ErrorCode::InvalidRequest
        );
    }
}
