//! `latchkey group ...`: groups, their members, and which clients they open.

use super::{CliError, now, print, show_time};
use crate::domain::access_names;
use crate::store::{Store, StoreError, audit, groups, users};
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

fn audit_admin(
    c: &crate::store::Tx<'_>,
    kind: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    super::audit_cli(
        c,
        audit::AuditEvent {
            kind: kind.into(),
            detail: Some(detail.to_string()),
            ..Default::default()
        },
    )
}

pub fn run(cmd: GroupCommand, store: &Store, json: bool) -> Result<(), CliError> {
    match cmd {
        GroupCommand::Add(a) => {
            let name = access_names::group_name(&a.name)?;
            let description = a
                .description
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty());
            let g = store.write(|c| {
                let g = groups::insert_group(c, &name, description, now())?;
                audit_admin(c, "group.created", serde_json::json!({ "group": g.name }))?;
                Ok::<_, StoreError>(g)
            })?;
            print(json, &g, || format!("created group {}", g.name));
        }
        GroupCommand::Remove { name } => {
            store.write(|c| {
                let g = groups::get_group(c, &name)?;
                groups::delete_group(c, &g)?;
                audit_admin(c, "group.removed", serde_json::json!({ "group": g.name }))
            })?;
            print(json, &serde_json::json!({ "removed": name }), || {
                format!("removed group {name}")
            });
        }
        GroupCommand::List => {
            let list = store.read(groups::list_groups)?;
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
            let (g, members, clients) = store.read(|c| {
                let g = groups::get_group(c, &name)?;
                let members = groups::list_member_usernames(c, g.id)?;
                let clients = groups::list_clients_restricted_to(c, g.id)?;
                Ok((g, members, clients))
            })?;
            let out = serde_json::json!({
                "name": g.name,
                "description": g.description,
                "created_at": g.created_at,
                "members": members,
                "clients": clients,
            });
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
    Ok(store.write(|c| {
        let g = groups::get_group(c, group)?;
        let mut changed = Vec::new();
        for name in usernames {
            let u = users::get_user_by_username(c, name)?;
            let did = if add {
                groups::insert_member(c, g.id, u.id, now())?
            } else {
                groups::delete_member(c, g.id, u.id)?
            };
            if did {
                changed.push(u.username.clone());
            }
        }
        if !changed.is_empty() {
            audit_admin(
                c,
                if add {
                    "group.members_added"
                } else {
                    "group.members_removed"
                },
                serde_json::json!({ "group": g.name, "users": changed }),
            )?;
        }
        Ok::<_, StoreError>(changed)
    })?)
}
