//! User claims released by scope, and by the `claims` request parameter (OIDC Core §5.5).

use super::scopes::{CLAIMS_SUPPORTED, claims_for_scope};
use crate::domain::ScopeSet;
use crate::store::users::User;
use serde_json::{Map, Value};

/// Where the claims go: the `claims` parameter asks for each separately.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    IdToken,
    UserInfo,
}

/// The supported claims the `claims` request parameter (stored as JSON text) names for `target`.
pub fn requested_names(claims_param: Option<&str>, target: Target) -> Vec<String> {
    let Some(v) = claims_param.and_then(|s| serde_json::from_str::<Value>(s).ok()) else {
        return Vec::new();
    };
    let member = match target {
        Target::IdToken => "id_token",
        Target::UserInfo => "userinfo",
    };
    match v.get(member) {
        Some(Value::Object(req)) => req
            .keys()
            .filter(|k| CLAIMS_SUPPORTED.contains(&k.as_str()))
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// The user's claims allowed by `scope`, plus the individually requested `extra` ones.
/// Claims without a value are left out (never `""` or `null`).
pub fn user_claims(user: &User, scope: &ScopeSet, extra: &[String]) -> Map<String, Value> {
    let mut names: Vec<&str> = scope.iter().flat_map(claims_for_scope).copied().collect();
    for e in extra {
        if !names.contains(&e.as_str()) {
            names.push(e);
        }
    }
    let mut out = Map::new();
    for name in names {
        let value: Option<Value> = match name {
            "name" => user.name.clone().map(Value::from),
            "preferred_username" => Some(user.username.clone().into()),
            "updated_at" => Some(user.updated_at.into()),
            "email" => Some(user.email.clone().into()),
            "email_verified" => Some(user.email_verified.into()),
            _ => None,
        };
        if let Some(v) = value {
            out.insert(name.to_owned(), v);
        }
    }
    out
}
