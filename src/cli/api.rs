//! `latchkey api ...`: resource servers (APIs), their scopes, and which clients hold them.

use super::{CliError, now, print, show_time};
use crate::oidc::admin::{self, Actor};
use crate::store::Store;
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

pub fn run(cmd: ApiCommand, store: &Store, json: bool) -> Result<(), CliError> {
    let actor = &Actor::Cli;
    match cmd {
        ApiCommand::Add(a) => {
            let api = store.write(|c| {
                admin::apis::add(c, actor, now(), &a.identifier, a.name.as_deref(), &a.scopes)
            })?;
            print(json, &api, || format!("created API {}", api.identifier));
        }
        ApiCommand::Remove { identifier } => {
            store.write(|c| admin::apis::remove(c, actor, now(), &identifier))?;
            print(json, &serde_json::json!({ "removed": identifier }), || {
                format!("removed API {identifier}")
            });
        }
        ApiCommand::List => {
            let list = store.read(admin::apis::list)?;
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
            let detail = store.read(|c| admin::apis::show(c, &identifier))?;
            let out = detail.to_json();
            let api = &detail.api;
            let grants = out["clients"].as_array().cloned().unwrap_or_default();
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
            let added =
                store.write(|c| admin::apis::add_scope(c, actor, now(), &identifier, &scope))?;
            print(
                json,
                &serde_json::json!({ "api": identifier, "added": added }),
                || format!("added scope {added} to {identifier}"),
            );
        }
        ApiCommand::RemoveScope { identifier, scope } => {
            store.write(|c| admin::apis::remove_scope(c, actor, now(), &identifier, &scope))?;
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
    Ok(store.write(|c| {
        admin::apis::change_grant(
            c,
            &Actor::Cli,
            now(),
            &g.identifier,
            &g.client_id,
            &g.scopes,
            grant,
        )
    })?)
}
