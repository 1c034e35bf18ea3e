//! Custom scopes: a name that releases user attributes as claims.

use super::{Actor, AdminError, record};
use crate::domain::access_names;
use crate::oidc::scopes::{CLAIMS_SUPPORTED, RESERVED_CLAIMS, SUPPORTED};
use crate::store::attributes::{self, CustomScope};
use crate::store::{StoreError, Tx, apis, audit};

fn audit_scope(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    kind: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    record(
        c,
        actor,
        now,
        audit::AuditEvent {
            kind: kind.into(),
            detail: Some(detail.to_string()),
            ..Default::default()
        },
    )
}

/// Create a custom scope releasing `claims` (attribute names); its name may not be an OIDC
/// scope or an API's scope, and the claims not ones OIDC or JWT define.
pub fn add(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    name: &str,
    claims: &[String],
    description: Option<&str>,
) -> Result<CustomScope, AdminError> {
    let name = access_names::scope_name(name)?;
    if SUPPORTED.contains(&name.as_str()) {
        return Err(AdminError::Invalid(format!(
            "{name:?} is a built-in OpenID Connect scope; choose another name"
        )));
    }
    let mut checked = Vec::new();
    for cl in claims {
        let cl = access_names::claim_name(cl.trim())?;
        if CLAIMS_SUPPORTED.contains(&cl.as_str()) || RESERVED_CLAIMS.contains(&cl.as_str()) {
            return Err(AdminError::Invalid(format!(
                "the claim {cl:?} is reserved by OpenID Connect or JWT; name the attribute differently"
            )));
        }
        checked.push(cl);
    }
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > 200 || d.chars().any(char::is_control)) {
        return Err(AdminError::Invalid(
            "the description must be at most 200 printable characters".into(),
        ));
    }
    if apis::is_api_scope(c, &name)? {
        return Err(AdminError::Invalid(format!(
            "{name:?} is already a scope of an API; choose another name"
        )));
    }
    let s = attributes::insert_custom_scope(c, &name, description, &checked, now)?;
    let detail = serde_json::json!({ "scope": name, "claims": checked });
    audit_scope(c, actor, now, "scope.created", detail)?;
    Ok(s)
}

pub fn remove(c: &Tx<'_>, actor: &Actor, now: i64, name: &str) -> Result<(), AdminError> {
    if !attributes::delete_custom_scope(c, name)? {
        return Err(StoreError::NotFound(format!("no custom scope {name:?}")).into());
    }
    audit_scope(
        c,
        actor,
        now,
        "scope.removed",
        serde_json::json!({ "scope": name }),
    )?;
    Ok(())
}

pub fn list(c: &Tx<'_>) -> Result<Vec<CustomScope>, StoreError> {
    attributes::list_custom_scopes(c)
}

pub fn show(c: &Tx<'_>, name: &str) -> Result<CustomScope, StoreError> {
    attributes::get_custom_scope(c, name)
}
