//! `latchkey api ...`: resource servers (APIs), their scopes, and which clients hold them.

use super::{CliError, now, print, show_time};
use crate::domain::access_names;
use crate::oidc::scopes::SUPPORTED;
use crate::store::apis::{self, ApiScope};
use crate::store::{Store, StoreError, attributes, audit, clients};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Register an API: its identifier is the `resource` clients ask for and the tokens' `aud`
    Add(AddArgs),
    /// Delete an API (clients lose its scopes; tokens already issued run out)
    Remove { identifier: String },
    /// List APIs
    List,
    /// Show an API, its scopes and the clients granted them
    Show { identifier: String },
    /// Add a scope to an API
    AddScope {
        identifier: String,
        /// NAME or NAME=DESCRIPTION (the description is shown on the consent page)
        scope: String,
    },
    /// Remove a scope from an API (and from every client holding it)
    RemoveScope { identifier: String, scope: String },
    /// Grant a client scopes of an API (all of them without --scope)
    Grant(GrantArgs),
    /// Take scopes of an API back from a client (all of them without --scope)
    Revoke(GrantArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// An absolute URI without a fragment, e.g. https://api.example.com
    pub identifier: String,
    /// Display name (default: the identifier)
    #[arg(long)]
    pub name: Option<String>,
    /// A scope of this API: NAME or NAME=DESCRIPTION (repeatable); names are unique across APIs
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    pub identifier: String,
    pub client_id: String,
    /// A scope of the API (repeatable or comma separated); default: all of them
    #[arg(long = "scope", value_name = "SCOPE", value_delimiter = ',')]
    pub scopes: Vec<String>,
}

/// `NAME[=DESCRIPTION]`, with a name no OIDC scope or custom scope already uses.
fn parse_scope(c: &crate::store::Tx<'_>, s: &str) -> Result<ApiScope, CliError> {
    let (name, description) = match s.split_once('=') {
        Some((n, d)) => (n.trim(), Some(d.trim()).filter(|d| !d.is_empty())),
        None => (s.trim(), None),
    };
    let scope = access_names::scope_name(name)?;
    if SUPPORTED.contains(&scope.as_str()) || attributes::find_custom_scope(c, &scope)?.is_some() {
        return Err(CliError::Invalid(format!(
            "the scope {scope:?} is already an OpenID Connect or custom scope; choose another name"
        )));
    }
    if description.is_some_and(|d| d.chars().count() > 200 || d.chars().any(char::is_control)) {
        return Err(CliError::Invalid(
            "a scope description must be at most 200 printable characters".into(),
        ));
    }
    Ok(ApiScope {
        scope,
        description: description.map(str::to_owned),
    })
}

fn audit_admin(
    c: &crate::store::Tx<'_>,
    kind: &str,
    client_id: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    super::audit_cli(
        c,
        audit::AuditEvent {
            kind: kind.into(),
            client_id: client_id.map(str::to_owned),
            detail: Some(detail.to_string()),
            ..Default::default()
        },
    )
}

pub fn run(cmd: ApiCommand, store: &Store, json: bool) -> Result<(), CliError> {
    match cmd {
        ApiCommand::Add(a) => {
            let identifier = access_names::api_identifier(&a.identifier)?;
            let name = a
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or(&identifier)
                .to_owned();
            if name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Err(CliError::Invalid(
                    "--name must be at most 100 printable characters".into(),
                ));
            }
            let api = store.write(|c| {
                let scopes = a
                    .scopes
                    .iter()
                    .map(|s| parse_scope(c, s))
                    .collect::<Result<Vec<_>, _>>()?;
                let api = apis::insert_api(c, &identifier, &name, &scopes, now())?;
                audit_admin(
                    c,
                    "api.created",
                    None,
                    serde_json::json!({ "api": identifier }),
                )?;
                Ok::<_, CliError>(api)
            })?;
            print(json, &api, || format!("created API {}", api.identifier));
        }
        ApiCommand::Remove { identifier } => {
            store.write(|c| {
                let api = apis::get_api(c, &identifier)?;
                apis::delete_api(c, api.id)?;
                audit_admin(
                    c,
                    "api.removed",
                    None,
                    serde_json::json!({ "api": identifier }),
                )
            })?;
            print(json, &serde_json::json!({ "removed": identifier }), || {
                format!("removed API {identifier}")
            });
        }
        ApiCommand::List => {
            let list = store.read(apis::list_apis)?;
            print(json, &list, || {
                if list.is_empty() {
                    return "no APIs".into();
                }
                list.iter()
                    .map(|a| {
                        let scopes: Vec<&str> = a.scopes.iter().map(|s| s.scope.as_str()).collect();
                        format!("{}\t{}\t{}", a.identifier, a.name, scopes.join(" "))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ApiCommand::Show { identifier } => {
            let (api, grants) = store.read(|c| {
                let api = apis::get_api(c, &identifier)?;
                let mut grants = Vec::new();
                for cl in clients::list_clients(c)? {
                    let held = apis::list_client_api_scopes(c, cl.id, api.id)?;
                    if !held.is_empty() {
                        grants
                            .push(serde_json::json!({ "client_id": cl.client_id, "scopes": held }));
                    }
                }
                Ok((api, grants))
            })?;
            let mut out = serde_json::to_value(&api).map_err(|e| CliError::Other(e.to_string()))?;
            if let Some(o) = out.as_object_mut() {
                o.insert("clients".into(), grants.clone().into());
            }
            print(json, &out, || {
                let mut s = format!(
                    "identifier: {}\nname:       {}\ncreated:    {}\nscopes:",
                    api.identifier,
                    api.name,
                    show_time(api.created_at)
                );
                for sc in &api.scopes {
                    s.push_str(&format!(
                        "\n  {}{}",
                        sc.scope,
                        sc.description
                            .as_deref()
                            .map(|d| format!(" - {d}"))
                            .unwrap_or_default()
                    ));
                }
                s.push_str("\nclients:");
                for g in &grants {
                    s.push_str(&format!("\n  {}: {}", g["client_id"], g["scopes"]));
                }
                s
            });
        }
        ApiCommand::AddScope { identifier, scope } => {
            let added = store.write(|c| {
                let api = apis::get_api(c, &identifier)?;
                let s = parse_scope(c, &scope)?;
                apis::insert_api_scope(c, api.id, &s)?;
                audit_admin(
                    c,
                    "api.scope_added",
                    None,
                    serde_json::json!({ "api": identifier, "scope": s.scope }),
                )?;
                Ok::<_, CliError>(s.scope)
            })?;
            print(
                json,
                &serde_json::json!({ "api": identifier, "added": added }),
                || format!("added scope {added} to {identifier}"),
            );
        }
        ApiCommand::RemoveScope { identifier, scope } => {
            store.write(|c| {
                let api = apis::get_api(c, &identifier)?;
                if !apis::delete_api_scope(c, api.id, &scope)? {
                    return Err(CliError::Invalid(format!(
                        "{identifier} has no scope {scope:?}"
                    )));
                }
                audit_admin(
                    c,
                    "api.scope_removed",
                    None,
                    serde_json::json!({ "api": identifier, "scope": scope }),
                )?;
                Ok(())
            })?;
            print(
                json,
                &serde_json::json!({ "api": identifier, "removed": scope }),
                || format!("removed scope {scope} from {identifier}"),
            );
        }
        ApiCommand::Grant(g) => change_and_print(store, &g, true, json)?,
        ApiCommand::Revoke(g) => change_and_print(store, &g, false, json)?,
    }
    Ok(())
}

fn show_list(v: &[String]) -> String {
    if v.is_empty() {
        "nothing".into()
    } else {
        v.join(" ")
    }
}

fn change_and_print(store: &Store, g: &GrantArgs, grant: bool, json: bool) -> Result<(), CliError> {
    let held = change_grant(store, g, grant)?;
    print(
        json,
        &serde_json::json!({ "api": g.identifier, "client_id": g.client_id, "scopes": held }),
        || {
            format!(
                "{} now holds on {}: {}",
                g.client_id,
                g.identifier,
                show_list(&held)
            )
        },
    );
    Ok(())
}

/// Grant or take back scopes; returns what the client holds on the API afterwards.
fn change_grant(store: &Store, g: &GrantArgs, grant: bool) -> Result<Vec<String>, CliError> {
    store.write(|c| {
        let api = apis::get_api(c, &g.identifier)?;
        let client = clients::get_client(c, &g.client_id)?;
        let scopes: Vec<String> = if g.scopes.is_empty() {
            api.scopes.iter().map(|s| s.scope.clone()).collect()
        } else {
            g.scopes.iter().map(|s| s.trim().to_owned()).collect()
        };
        for s in &scopes {
            if !api.scopes.iter().any(|x| &x.scope == s) {
                return Err(CliError::Invalid(format!(
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
        audit_admin(
            c,
            if grant { "api.granted" } else { "api.revoked" },
            Some(&client.client_id),
            serde_json::json!({ "api": api.identifier, "scopes": scopes }),
        )?;
        Ok(apis::list_client_api_scopes(c, client.id, api.id)?)
    })
}
