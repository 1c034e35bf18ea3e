//! Groups: create, remove (refused while a client is restricted to it), show, members.

use super::{Actor, AdminError, record};
use crate::domain::access_names;
use crate::store::{StoreError, Tx, audit, groups, groups::Group, users};

/// A group with its members and the clients restricted to it.
#[derive(Debug)]
pub struct GroupDetail {
    pub group: Group,
    pub members: Vec<String>,
    pub clients: Vec<String>,
}

impl GroupDetail {
    /// As `group show --json` and the admin API show it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.group.name,
            "description": self.group.description,
            "created_at": self.group.created_at,
            "members": self.members,
            "clients": self.clients,
        })
    }
}

/// A group as a list shows it: how many members, and the clients restricted to it.
#[derive(Debug)]
pub struct GroupSummary {
    pub group: Group,
    pub members: i64,
    pub clients: Vec<String>,
}

fn audit_group(
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

pub fn add(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    name: &str,
    description: Option<&str>,
) -> Result<Group, AdminError> {
    let name = access_names::group_name(name)?;
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    let g = groups::insert_group(c, &name, description, now)?;
    audit_group(
        c,
        actor,
        now,
        "group.created",
        serde_json::json!({ "group": g.name }),
    )?;
    Ok(g)
}

pub fn remove(c: &Tx<'_>, actor: &Actor, now: i64, name: &str) -> Result<(), AdminError> {
    let g = groups::get_group(c, name)?;
    groups::delete_group(c, &g)?;
    audit_group(
        c,
        actor,
        now,
        "group.removed",
        serde_json::json!({ "group": g.name }),
    )?;
    Ok(())
}

pub fn list(c: &Tx<'_>) -> Result<Vec<Group>, StoreError> {
    groups::list_groups(c)
}

pub fn list_summaries(c: &Tx<'_>) -> Result<Vec<GroupSummary>, StoreError> {
    groups::list_groups(c)?
        .into_iter()
        .map(|group| {
            Ok(GroupSummary {
                members: groups::count_members(c, group.id)?,
                clients: groups::list_clients_restricted_to(c, group.id)?,
                group,
            })
        })
        .collect()
}

pub fn show(c: &Tx<'_>, name: &str) -> Result<GroupDetail, StoreError> {
    let group = groups::get_group(c, name)?;
    Ok(GroupDetail {
        members: groups::list_member_usernames(c, group.id)?,
        clients: groups::list_clients_restricted_to(c, group.id)?,
        group,
    })
}

/// Add (`add`) or remove members, all or nothing: an unknown user changes nothing. Returns the
/// users whose membership changed.
pub fn change_members(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    group: &str,
    usernames: &[String],
    add: bool,
) -> Result<Vec<String>, AdminError> {
    let g = groups::get_group(c, group)?;
    let mut changed = Vec::new();
    for name in usernames {
        let u = users::get_user_by_username(c, name)?;
        let did = if add {
            groups::insert_member(c, g.id, u.id, now)?
        } else {
            groups::delete_member(c, g.id, u.id)?
        };
        if did {
            changed.push(u.username.clone());
        }
    }
    if !changed.is_empty() {
        let kind = if add {
            "group.members_added"
        } else {
            "group.members_removed"
        };
        let detail = serde_json::json!({ "group": g.name, "users": changed });
        audit_group(c, actor, now, kind, detail)?;
    }
    Ok(changed)
}
