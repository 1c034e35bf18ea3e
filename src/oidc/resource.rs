//! Which scopes a request may have, and for which audience: OIDC scopes, custom scopes, and the
//! scopes of APIs named by the `resource` parameter (RFC 8707).
//!
//! API scope names are unique across APIs, so a scope string names its API; the `resource`
//! parameter still has to say which API the access token is for (its `aud`).

use super::error::{ErrorCode, OAuthError};
use super::scopes::SUPPORTED;
use crate::domain::ScopeSet;
use crate::store::Tx;
use crate::store::apis::{self, Api};
use crate::store::clients::Client;
use crate::store::{StoreError, attributes};

/// A request's scopes once checked, and the API its access token is for (None: userinfo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub scope: ScopeSet,
    pub resource: Option<String>,
}

fn target(msg: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidTarget, msg)
}

fn scope_error(msg: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidScope, msg)
}

/// The one API named by the `resource` values of a request, which must be registered and have
/// granted this client at least one scope.
pub fn find_resource(
    c: &Tx<'_>,
    client: &Client,
    resources: &[&str],
) -> Result<Result<Option<Api>, OAuthError>, StoreError> {
    let r = match resources {
        [] => return Ok(Ok(None)),
        [r] => *r,
        _ => {
            return Ok(Err(target("only one resource per request is supported")));
        }
    };
    // RFC 8707 §2: an absolute URI without a fragment.
    match url::Url::parse(r) {
        Ok(u) if u.fragment().is_none() => {}
        _ => {
            return Ok(Err(target(
                "resource must be an absolute URI without a fragment",
            )));
        }
    }
    let Some(api) = apis::find_api(c, r)? else {
        return Ok(Err(target(format!("unknown resource {r}"))));
    };
    if apis::list_client_api_scopes(c, client.id, api.id)?.is_empty() {
        return Ok(Err(target(format!(
            "this client has not been granted access to {r}"
        ))));
    }
    Ok(Ok(Some(api)))
}

/// True when `client` may ask for the OIDC or custom scope `scope` (its `--scopes`). The
/// `claims` request parameter is held to the same rule for the scope releasing each claim.
pub fn client_may_request(client: &Client, scope: &str) -> bool {
    client.scopes.iter().any(|a| a == scope)
}

/// Check what a user-facing request (authorize, device) asks for. OIDC and custom scopes must
/// be allowed to the client; API scopes need the `resource` of their API and a grant; unknown
/// scopes are dropped (OIDC Core §3.1.2.1).
pub fn resolve_user_request(
    c: &Tx<'_>,
    client: &Client,
    requested: &ScopeSet,
    resources: &[&str],
) -> Result<Result<Resolved, OAuthError>, StoreError> {
    let api = match find_resource(c, client, resources)? {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let granted = match &api {
        Some(a) => apis::list_client_api_scopes(c, client.id, a.id)?,
        None => Vec::new(),
    };
    let mut kept = Vec::new();
    for s in requested.iter() {
        let known = SUPPORTED.contains(&s) || attributes::find_custom_scope(c, s)?.is_some();
        if known {
            if !client_may_request(client, s) {
                return Ok(Err(scope_error(format!(
                    "this client may not request the scope {s}"
                ))));
            }
            kept.push(s);
        } else if apis::is_api_scope(c, s)? {
            let Some(a) = &api else {
                return Ok(Err(scope_error(format!(
                    "the scope {s} belongs to an API: name that API with the resource parameter"
                ))));
            };
            if !a.scopes.iter().any(|x| x.scope == s) {
                return Ok(Err(scope_error(format!(
                    "the scope {s} is not a scope of {}",
                    a.identifier
                ))));
            }
            if !granted.iter().any(|g| g == s) {
                return Ok(Err(scope_error(format!(
                    "this client has not been granted the scope {s}"
                ))));
            }
            kept.push(s);
        }
    }
    Ok(Ok(Resolved {
        scope: kept.into_iter().collect(),
        resource: api.map(|a| a.identifier),
    }))
}

/// The `aud` and `scope` of an access token for a grant of `scope` to `resource`.
/// For an API: only that API's scopes that the client still holds (a grant taken back since
/// is dropped); for userinfo: the scopes that are not API scopes.
pub fn access_token_scope(
    c: &Tx<'_>,
    client: &Client,
    scope: &ScopeSet,
    resource: Option<&str>,
) -> Result<Result<(Option<String>, ScopeSet), OAuthError>, StoreError> {
    match resource {
        None => {
            let mut out = Vec::new();
            for s in scope.iter() {
                // No API scope takes an OpenID Connect scope's name (`admin::apis` refuses it),
                // so those need no lookup: a token issued for "openid profile email" asks none.
                if SUPPORTED.contains(&s) || !apis::is_api_scope(c, s)? {
                    out.push(s);
                }
            }
            Ok(Ok((None, out.into_iter().collect())))
        }
        Some(r) => {
            let Some(api) = apis::find_api(c, r)? else {
                return Ok(Err(OAuthError::invalid_grant(format!(
                    "the API {r} no longer exists"
                ))));
            };
            let held = apis::list_client_api_scopes(c, client.id, api.id)?;
            let out: ScopeSet = scope
                .iter()
                .filter(|s| held.iter().any(|h| h == s))
                .collect();
            Ok(Ok((Some(api.identifier), out)))
        }
    }
}

/// The `resource` values of a token request must match the API the grant was for.
pub fn check_token_resource(resources: &[&str], granted: Option<&str>) -> Result<(), OAuthError> {
    match resources {
        [] => Ok(()),
        [r] if Some(*r) == granted => Ok(()),
        [_] => Err(target(
            "resource does not match the API this grant was issued for",
        )),
        _ => Err(target("only one resource per request is supported")),
    }
}

/// Plain words for each requested scope on a consent page, standard scopes first.
pub fn describe_scopes(c: &Tx<'_>, scope: &ScopeSet) -> Result<Vec<String>, StoreError> {
    let mut lines: Vec<String> = SUPPORTED
        .iter()
        .filter(|s| scope.contains(s))
        .map(|s| super::scopes::describe(s).to_owned())
        .collect();
    for s in scope.iter().filter(|s| !SUPPORTED.contains(s)) {
        if let Some(cs) = attributes::find_custom_scope(c, s)? {
            lines.push(match cs.description {
                Some(d) => d,
                None => format!("See these details: {}", cs.claims.join(", ")),
            });
        } else if let Some((api, desc)) = apis::find_scope_owner(c, s)? {
            lines.push(match desc {
                Some(d) => format!("{api}: {d}"),
                None => format!("{api}: {s}"),
            });
        }
    }
    Ok(lines)
}
