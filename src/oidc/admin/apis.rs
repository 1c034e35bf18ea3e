//! APIs (resource servers): create, remove, show, their scopes, and which clients hold them.

use super::{Actor, AdminError, record};
use crate::domain::access_names;
use crate::oidc::scopes::SUPPORTED;
use crate::store::apis::{self, Api, ApiScope};
use crate::store::{StoreError, Tx, attributes, audit, clients};

/// An API with the clients holding some of its scopes, as `(client_id, scopes held)`.
#[derive(Debug)]
pub struct ApiDetail {
    pub api: Api,
    pub clients: Vec<(String, Vec<String>)>,
}

impl ApiDetail {
    /// As `api show --json` and the admin API show it.
    pub fn to_json(&self) -> serde_json::Value {
        let grants: Vec<serde_json::Value> = self
            .clients
            .iter()
            .map(|(id, held)| serde_json::json!({ "client_id": id, "scopes": held }))
            .collect();
        let mut out = serde_json::to_value(&self.api).unwrap_or_default();
        if let Some(o) = out.as_object_mut() {
            o.insert("clients".into(), grants.into());
        }
        out
    }
}

/// `NAME[=DESCRIPTION]` (the CLI's form) as its name and description.
fn split_scope(s: &str) -> (&str, Option<&str>) {
    match s.split_once('=') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    }
}

fn parse_scope(c: &Tx<'_>, s: &str) -> Result<ApiScope, AdminError> {
    let (name, description) = split_scope(s);
    check_scope(c, name, description)
}

/// A scope with a name no OIDC scope or custom scope already uses.
fn check_scope(c: &Tx<'_>, name: &str, description: Option<&str>) -> Result<ApiScope, AdminError> {
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    let scope = access_names::scope_name(name.trim())?;
    if SUPPORTED.contains(&scope.as_str()) || attributes::find_custom_scope(c, &scope)?.is_some() {
        return Err(AdminError::Invalid(format!(
            "the scope {scope:?} is already an OpenID Connect or custom scope; choose another name"
        )));
    }
    if description.is_some_and(|d| d.chars().count() > 200 || d.chars().any(char::is_control)) {
        return Err(AdminError::Invalid(
            "a scope description must be at most 200 printable characters".into(),
        ));
    }
    Ok(ApiScope {
        scope,
        description: description.map(str::to_owned),
    })
}

fn audit_api(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    kind: &str,
    client_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    record(
        c,
        actor,
        now,
        audit::AuditEvent {
            kind: kind.into(),
            client_id: client_id.map(str::to_owned),
            detail: Some(detail.to_string()),
            ..Default::default()
        },
    )
}

/// Create an API; `scopes` are `NAME[=DESCRIPTION]`; the name defaults to the identifier.
pub fn add(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    identifier: &str,
    name: Option<&str>,
    scopes: &[String],
) -> Result<Api, AdminError> {
    let identifier = access_names::api_identifier(identifier)?;
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&identifier)
        .to_owned();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AdminError::Invalid(
            "the name must be at most 100 printable characters".into(),
        ));
    }
    let scopes = scopes
        .iter()
        .map(|s| parse_scope(c, s))
        .collect::<Result<Vec<_>, _>>()?;
    let api = apis::insert_api(c, &identifier, &name, &scopes, now)?;
    let detail = serde_json::json!({ "api": identifier });
    audit_api(c, actor, now, "api.created", None, detail)?;
    Ok(api)
}

pub fn remove(c: &Tx<'_>, actor: &Actor, now: i64, identifier: &str) -> Result<(), AdminError> {
    let api = apis::get_api(c, identifier)?;
    apis::delete_api(c, api.id)?;
    let detail = serde_json::json!({ "api": identifier });
    audit_api(c, actor, now, "api.removed", None, detail)?;
    Ok(())
}

pub fn list(c: &Tx<'_>) -> Result<Vec<Api>, StoreError> {
    apis::list_apis(c)
}

pub fn show(c: &Tx<'_>, identifier: &str) -> Result<ApiDetail, StoreError> {
    let api = apis::get_api(c, identifier)?;
    let mut held_by = Vec::new();
    for cl in clients::list_clients(c)? {
        let held = apis::list_client_api_scopes(c, cl.id, api.id)?;
        if !held.is_empty() {
            held_by.push((cl.client_id, held));
        }
    }
    Ok(ApiDetail {
        api,
        clients: held_by,
    })
}

/// Add a scope (`NAME[=DESCRIPTION]`, the CLI's form); returns its name.
pub fn add_scope(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    identifier: &str,
    scope: &str,
) -> Result<String, AdminError> {
    let (name, description) = split_scope(scope);
    add_named_scope(c, actor, now, identifier, name, description)
}

/// Add a scope whose name and description come apart (a form's fields, so a name may hold
/// `=`); returns its name.
pub fn add_named_scope(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    identifier: &str,
    name: &str,
    description: Option<&str>,
) -> Result<String, AdminError> {
    let api = apis::get_api(c, identifier)?;
    let s = check_scope(c, name, description)?;
    apis::insert_api_scope(c, api.id, &s)?;
    let detail = serde_json::json!({ "api": identifier, "scope": s.scope });
    audit_api(c, actor, now, "api.scope_added", None, detail)?;
    Ok(s.scope)
}

pub fn remove_scope(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    identifier: &str,
    scope: &str,
) -> Result<(), AdminError> {
    let api = apis::get_api(c, identifier)?;
    if !apis::delete_api_scope(c, api.id, scope)? {
        return Err(AdminError::Invalid(format!(
            "{identifier} has no scope {scope:?}"
        )));
    }
    let detail = serde_json::json!({ "api": identifier, "scope": scope });
    audit_api(c, actor, now, "api.scope_removed", None, detail)?;
    Ok(())
}

/// Grant (`grant`) or revoke a client's scopes of an API (all of them when `scopes` is empty);
/// returns the scopes the client holds afterwards.
pub fn change_grant(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    identifier: &str,
    client_id: &str,
    scopes: &[String],
    grant: bool,
) -> Result<Vec<String>, AdminError> {
    let api = apis::get_api(c, identifier)?;
    let client = clients::get_client(c, client_id)?;
    let scopes: Vec<String> = if scopes.is_empty() {
        api.scopes.iter().map(|s| s.scope.clone()).collect()
    } else {
        scopes.iter().map(|s| s.trim().to_owned()).collect()
    };
    for s in &scopes {
        if !api.scopes.iter().any(|x| &x.scope == s) {
            return Err(AdminError::Invalid(format!(
                "{} has no scope {s:?}",
                api.identifier
            )));
        }
        if grant {
            apis::insert_client_api_scope(c, client.id, s)?;
        } else {
            apis::delete_client_api_scope(c, client.id, s)?;
        }
    }
    let kind = if grant { "api.granted" } else { "api.revoked" };
    let detail = serde_json::json!({ "api": api.identifier, "scopes": scopes });
    audit_api(c, actor, now, kind, Some(&client.client_id), detail)?;
    Ok(apis::list_client_api_scopes(c, client.id, api.id)?)
}
