//! User claims released by scope, and by the `claims` request parameter (OIDC Core §5.5).

use super::scopes::{CLAIMS_SUPPORTED, claims_for_scope, scope_of_claim};
use crate::domain::ScopeSet;
use crate::store::Tx;
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

/// The members of the `claims` parameter that ask for claims, one per [`Target`].
const MEMBERS: [&str; 2] = ["id_token", "userinfo"];

/// Scopes whose claims the `claims` parameter cannot ask for without the scope itself: group
/// names leave only with the `groups` scope (README, "Groups").
const SCOPE_ONLY: &[&str] = &["groups"];

fn member(target: Target) -> &'static str {
    match target {
        Target::IdToken => MEMBERS[0],
        Target::UserInfo => MEMBERS[1],
    }
}

/// The supported claims the `claims` request parameter (stored as JSON text) names for `target`.
pub fn requested_names(claims_param: Option<&str>, target: Target) -> Vec<String> {
    let Some(v) = claims_param.and_then(|s| serde_json::from_str::<Value>(s).ok()) else {
        return Vec::new();
    };
    match v.get(member(target)) {
        Some(Value::Object(req)) => req
            .keys()
            .filter(|k| CLAIMS_SUPPORTED.contains(&k.as_str()))
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// The `claims` request parameter without the claims this request may not have. A claim a
/// scope releases (OIDC Core §5.4) stays only when `client_may` ask for that scope (the rule
/// for asking for the scope itself) and, for `groups`, when `scope` holds it. Dropping a claim
/// is not an error: §5.5 lets the OP leave requested claims out. Claims no scope releases
/// (`auth_time`, `acr`, ...) and other members are kept as they are.
pub fn keep_allowed(
    mut claims: Value,
    scope: &ScopeSet,
    client_may: impl Fn(&str) -> bool,
) -> Value {
    for m in MEMBERS {
        if let Some(Value::Object(asked)) = claims.get_mut(m) {
            asked.retain(|name, _| match scope_of_claim(name) {
                None => true,
                Some(s) => client_may(s) && (!SCOPE_ONLY.contains(&s) || scope.contains(s)),
            });
        }
    }
    claims
}

/// [`keep_allowed`] on a stored `claims` parameter (JSON text); None when it is not JSON.
pub fn keep_allowed_text(
    text: Option<&str>,
    scope: &ScopeSet,
    client_may: impl Fn(&str) -> bool,
) -> Option<String> {
    let v = serde_json::from_str::<Value>(text?).ok()?;
    Some(keep_allowed(v, scope, client_may).to_string())
}

/// The scopes that release the claims the `claims` parameter asks for (for the ID token or
/// userinfo): what a consent must cover besides the requested scopes.
pub fn scopes_of_requested(claims: Option<&Value>) -> ScopeSet {
    let Some(claims) = claims else {
        return ScopeSet::default();
    };
    MEMBERS
        .iter()
        .filter_map(|m| match claims.get(m) {
            Some(Value::Object(asked)) => Some(asked),
            _ => None,
        })
        .flat_map(|asked| asked.keys())
        .filter_map(|name| scope_of_claim(name))
        .collect()
}

/// The levels an essential `acr` claim asks for in the ID token (`{"id_token": {"acr":
/// {"essential": true, "values": [...]}}}`, or `"value"`): treated like `acr_values`. Unknown
/// values are dropped; a voluntary `acr` request asks for nothing.
pub fn essential_acr(claims: Option<&Value>) -> Vec<crate::domain::Acr> {
    let Some(acr) = claims
        .and_then(|c| c.get(MEMBERS[0]))
        .and_then(|m| m.get("acr"))
    else {
        return Vec::new();
    };
    if acr.get("essential") != Some(&Value::Bool(true)) {
        return Vec::new();
    }
    let mut words: Vec<&str> = match acr.get("values") {
        Some(Value::Array(v)) => v.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if let Some(v) = acr.get("value").and_then(Value::as_str) {
        words.push(v);
    }
    crate::domain::Acr::parse_list(&words.join(" "))
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
    c: &Tx<'_>,
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
    let mut out = Map::with_capacity(names.len() + p.custom.len());
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scopes(s: &str) -> ScopeSet {
        ScopeSet::parse(s).unwrap_or_default()
    }

    #[test]
    fn keep_allowed_drops_claims_of_scopes_the_client_may_not_use() {
        let asked = json!({
            "id_token": {"email": null, "name": {"essential": true}, "auth_time": null},
            "userinfo": {"email_verified": null, "preferred_username": null, "nickname": null},
        });
        let only_profile = |s: &str| s == "openid" || s == "profile";
        let kept = keep_allowed(asked, &scopes("openid"), only_profile);
        assert_eq!(
            kept,
            json!({
                "id_token": {"name": {"essential": true}, "auth_time": null},
                "userinfo": {"preferred_username": null, "nickname": null},
            })
        );
    }

    #[test]
    fn keep_allowed_releases_groups_only_with_the_groups_scope() {
        let asked = json!({"userinfo": {"groups": null}, "id_token": {"groups": null}});
        let any = |_: &str| true;
        let without = keep_allowed(asked.clone(), &scopes("openid"), any);
        assert_eq!(without, json!({"userinfo": {}, "id_token": {}}));
        let with = keep_allowed(asked.clone(), &scopes("openid groups"), any);
        assert_eq!(with, asked);
        let not_allowed = keep_allowed(asked, &scopes("openid groups"), |s| s != "groups");
        assert_eq!(not_allowed, json!({"userinfo": {}, "id_token": {}}));
    }

    #[test]
    fn keep_allowed_leaves_other_members_and_shapes_alone() {
        let odd = json!({"id_token": "email", "userinfo": [1], "other": {"email": null}});
        assert_eq!(keep_allowed(odd.clone(), &scopes("openid"), |_| false), odd);
    }

    #[test]
    fn keep_allowed_text_filters_stored_json_and_ignores_garbage() {
        let text = r#"{"id_token":{"email":null,"name":null}}"#;
        let kept = keep_allowed_text(Some(text), &scopes("openid"), |s| s == "profile");
        assert_eq!(kept.as_deref(), Some(r#"{"id_token":{"name":null}}"#));
        assert_eq!(keep_allowed_text(None, &scopes("openid"), |_| true), None);
        assert_eq!(
            keep_allowed_text(Some("{"), &scopes("openid"), |_| true),
            None
        );
    }

    #[test]
    fn an_essential_acr_claim_asks_for_its_known_values_and_a_voluntary_one_for_nothing() {
        use crate::domain::Acr;
        let ask = |v: Value| essential_acr(Some(&json!({ "id_token": { "acr": v } })));
        assert_eq!(
            ask(json!({"essential": true, "values": ["phr", "x", "urn:latchkey:acr:mfa"]})),
            [Acr::Mfa, Acr::Phr]
        );
        assert_eq!(ask(json!({"essential": true, "value": "phr"})), [Acr::Phr]);
        assert!(ask(json!({"values": ["phr"]})).is_empty());
        assert!(ask(json!(null)).is_empty());
        assert!(essential_acr(None).is_empty());
    }

    #[test]
    fn scopes_of_requested_covers_the_id_token_and_userinfo() {
        let asked = json!({
            "id_token": {"email_verified": null, "auth_time": null},
            "userinfo": {"updated_at": null, "department": null},
            "other": {"groups": null},
        });
        assert_eq!(scopes_of_requested(Some(&asked)), scopes("email profile"));
        assert!(scopes_of_requested(None).is_empty());
        assert!(scopes_of_requested(Some(&json!({"id_token": {"sub": null}}))).is_empty());
    }
}
