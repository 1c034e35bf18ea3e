//! `latchkey group ...`: groups, their members, and which clients they open.

use super::{CliError, now, print, show_time};
use crate::oidc::admin::{self, Actor};
use crate::store::Store;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group
    Add(AddArgs),
    /// Delete a group (refused while a client is restricted to it)
    Remove { name: String },
    /// List groups
    List,
    /// Show a group, its members and the clients restricted to it
    Show { name: String },
    /// Add users to a group
    AddMember {
        group: String,
        #[arg(required = true, value_name = "USERNAME")]
        usernames: Vec<String>,
    },
    /// Take users out of a group (their refresh tokens for clients restricted to it stop working)
    RemoveMember {
        group: String,
        #[arg(required = true, value_name = "USERNAME")]
        usernames: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// 1-64 letters, digits, '_', '-' or '.'; released as-is in the `groups` claim
    pub name: String,
    /// What the group is for
    #[arg(long)]
    pub description: Option<String>,
}

pub fn run(cmd: GroupCommand, store: &Store, json: bool) -> Result<(), CliError> {
    let actor = &Actor::Cli;
    match cmd {
        GroupCommand::Add(a) => {
            let g = store.write(|c| {
                admin::groups::add(c, actor, now(), &a.name, a.description.as_deref())
            })?;
            print(json, &g, || format!("created group {}", g.name));
        }
        GroupCommand::Remove { name } => {
            store.write(|c| admin::groups::remove(c, actor, now(), &name))?;
            print(json, &serde_json::json!({ "removed": name }), || {
                format!("removed group {name}")
            });
        }
        GroupCommand::List => {
            let list = store.read(admin::groups::list)?;
            print(json, &list, || {
                if list.is_empty() {
                    return "no groups".into();
                }
                list.iter()
                    .map(|g| format!("{}\t{}", g.name, g.description.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        GroupCommand::Show { name } => {
            let detail = store.read(|c| admin::groups::show(c, &name))?;
            let out = detail.to_json();
            let admin::groups::GroupDetail {
                group: g,
                members,
                clients,
            } = &detail;
            print(json, &out, || {
                format!(
                    "name:        {}\ndescription: {}\nmembers:     {}\nclients:     {}\ncreated:     {}",
                    g.name,
                    g.description.as_deref().unwrap_or("-"),
                    if members.is_empty() {
                        "-".into()
                    } else {
                        members.join(" ")
                    },
                    if clients.is_empty() {
                        "-".into()
                    } else {
                        clients.join(" ")
                    },
                    show_time(g.created_at)
                )
            });
        }
        GroupCommand::AddMember { group, usernames } => {
            let added = change_members(store, &group, &usernames, true)?;
            print(
                json,
                &serde_json::json!({ "group": group, "added": added }),
                || format!("added to {group}: {}", list_or_none(&added)),
            );
        }
        GroupCommand::RemoveMember { group, usernames } => {
            let removed = change_members(store, &group, &usernames, false)?;
            print(
                json,
                &serde_json::json!({ "group": group, "removed": removed }),
                || format!("removed from {group}: {}", list_or_none(&removed)),
            );
        }
    }
    Ok(())
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "nobody (no change)".into()
    } else {
        v.join(" ")
    }
}

/// Add or remove members in one transaction: an unknown user changes nothing.
fn change_members(
    store: &Store,
    group: &str,
    usernames: &[String],
    add: bool,
) -> Result<Vec<String>, CliError> {
    Ok(store
        .write(|c| admin::groups::change_members(c, &Actor::Cli, now(), group, usernames, add))?)
}
