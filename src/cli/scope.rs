//! `latchkey scope ...`: custom scopes that release user attributes as claims.

use super::{CliError, now, print, show_time};
use crate::oidc::admin::{self, Actor};
use crate::store::Store;
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
    let actor = &Actor::Cli;
    match cmd {
        ScopeCommand::Add(a) => {
            let scope = store.write(|c| {
                admin::scopes::add(
                    c,
                    actor,
                    now(),
                    &a.name,
                    &a.claims,
                    a.description.as_deref(),
                )
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
            store.write(|c| admin::scopes::remove(c, actor, now(), &name))?;
            print(json, &serde_json::json!({ "removed": name }), || {
                format!("removed scope {name}")
            });
        }
        ScopeCommand::List => {
            let list = store.read(admin::scopes::list)?;
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
            let s = store.read(|c| admin::scopes::show(c, &name))?;
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
