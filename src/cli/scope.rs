//! `latchkey scope ...`: custom scopes that release user attributes as claims.

use super::{CliError, now, print, show_time};
use crate::domain::access_names;
use crate::oidc::scopes::{CLAIMS_SUPPORTED, RESERVED_CLAIMS, SUPPORTED};
use crate::store::{Store, StoreError, apis, attributes, audit};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum ScopeCommand {
    /// Create a custom scope releasing user attributes (set with `user set-attribute`) as claims
    Add(AddArgs),
    /// Delete a custom scope
    Remove { name: String },
    /// List custom scopes
    List,
    /// Show one custom scope
    Show { name: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The scope name clients ask for (add it to a client with `client update --scopes`)
    pub name: String,
    /// An attribute released as a claim of the same name (repeatable or comma separated)
    #[arg(
        long = "claim",
        value_name = "ATTRIBUTE",
        required = true,
        value_delimiter = ','
    )]
    pub claims: Vec<String>,
    /// What the consent page says the app will see
    #[arg(long)]
    pub description: Option<String>,
}

pub fn run(cmd: ScopeCommand, store: &Store, json: bool) -> Result<(), CliError> {
    match cmd {
        ScopeCommand::Add(a) => {
            let name = access_names::scope_name(&a.name)?;
            if SUPPORTED.contains(&name.as_str()) {
                return Err(CliError::Invalid(format!(
                    "{name:?} is a built-in OpenID Connect scope; choose another name"
                )));
            }
            let mut claims = Vec::new();
            for cl in &a.claims {
                let cl = access_names::claim_name(cl.trim())?;
                if CLAIMS_SUPPORTED.contains(&cl.as_str()) || RESERVED_CLAIMS.contains(&cl.as_str())
                {
                    return Err(CliError::Invalid(format!(
                        "the claim {cl:?} is reserved by OpenID Connect or JWT; name the attribute differently"
                    )));
                }
                claims.push(cl);
            }
            let description = a
                .description
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty());
            if description
                .is_some_and(|d| d.chars().count() > 200 || d.chars().any(char::is_control))
            {
                return Err(CliError::Invalid(
                    "--description must be at most 200 printable characters".into(),
                ));
            }
            let scope = store.write(|c| {
                if apis::is_api_scope(c, &name)? {
                    return Err(CliError::Invalid(format!(
                        "{name:?} is already a scope of an API; choose another name"
                    )));
                }
                let s = attributes::insert_custom_scope(c, &name, description, &claims, now())?;
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at: now(),
                        kind: "scope.created".into(),
                        actor: Some("cli".into()),
                        detail: Some(
                            serde_json::json!({ "scope": name, "claims": claims }).to_string(),
                        ),
                        ..Default::default()
                    },
                )?;
                Ok(s)
            })?;
            print(json, &scope, || {
                format!(
                    "created scope {} releasing {}",
                    scope.name,
                    scope.claims.join(", ")
                )
            });
        }
        ScopeCommand::Remove { name } => {
            store.write(|c| {
                if !attributes::delete_custom_scope(c, &name)? {
                    return Err(StoreError::NotFound(format!("no custom scope {name:?}")));
                }
                super::audit_cli(
                    c,
                    audit::AuditEvent {
                        kind: "scope.removed".into(),
                        detail: Some(serde_json::json!({ "scope": name }).to_string()),
                        ..Default::default()
                    },
                )
            })?;
            print(json, &serde_json::json!({ "removed": name }), || {
                format!("removed scope {name}")
            });
        }
        ScopeCommand::List => {
            let list = store.read(attributes::list_custom_scopes)?;
            print(json, &list, || {
                if list.is_empty() {
                    return "no custom scopes".into();
                }
                list.iter()
                    .map(|s| format!("{}\t{}", s.name, s.claims.join(",")))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ScopeCommand::Show { name } => {
            let s = store.read(|c| attributes::get_custom_scope(c, &name))?;
            print(json, &s, || {
                format!(
                    "name:        {}\nclaims:      {}\ndescription: {}\ncreated:     {}",
                    s.name,
                    s.claims.join(" "),
                    s.description.as_deref().unwrap_or("-"),
                    show_time(s.created_at)
                )
            });
        }
    }
    Ok(())
}
