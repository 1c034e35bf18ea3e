//! User claims released by scope, and by the `claims` request parameter (OIDC Core §5.5).

use super::scopes::{CLAIMS_SUPPORTED, claims_for_scope};
use crate::domain::ScopeSet;
use crate::store::rusqlite::Connection;
use crate::store::users::User;
use crate::store::{StoreError, attributes, groups};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

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

/// A user and what the granted scopes may release about them beyond the user row: group
/// names (only loaded for the `groups` scope) and the attributes custom scopes map to claims.
pub struct Profile<'a> {
    pub user: &'a User,
    pub groups: Option<Vec<String>>,
    /// Claim name -> attribute value, for the claims the granted custom scopes release.
    pub custom: BTreeMap<String, String>,
}

/// Load what `scope` may release about `user` (no queries for scopes that release nothing more).
pub fn load_profile<'a>(
    c: &Connection,
    user: &'a User,
    scope: &ScopeSet,
) -> Result<Profile<'a>, StoreError> {
    let groups = if scope.contains("groups") {
        Some(groups::list_user_group_names(c, user.id)?)
    } else {
        None
    };
    let custom_scopes = scope
        .iter()
        .filter(|s| !super::scopes::SUPPORTED.contains(s));
    let names = attributes::claims_of_scopes(c, custom_scopes)?;
    let custom = if names.is_empty() {
        BTreeMap::new()
    } else {
        let mut attrs = attributes::list_user_attributes(c, user.id)?;
        attrs.retain(|k, _| names.contains(k));
        attrs
    };
    Ok(Profile {
        user,
        groups,
        custom,
    })
}

/// The user's claims allowed by `scope`, plus the individually requested `extra` ones.
/// Claims without a value are left out (never `""` or `null`).
pub fn user_claims(p: &Profile<'_>, scope: &ScopeSet, extra: &[String]) -> Map<String, Value> {
    let user = p.user;
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
            "groups" => p.groups.clone().map(Value::from),
            _ => None,
        };
        if let Some(v) = value {
            out.insert(name.to_owned(), v);
        }
    }
    for (k, v) in &p.custom {
        out.insert(k.clone(), v.clone().into());
    }
    out
}
