//! Groups, their members, and the groups a client is restricted to.

use crate::store::Tx;
use crate::store::db::{OptionalExtension, params};
use crate::store::{Result, StoreError, conflict_or};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Group {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub created_at: i64,
}

fn from_row(r: &crate::store::db::Row<'_>) -> crate::store::Result<Group> {
    Ok(Group {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        created_at: r.get(3)?,
    })
}

/// Names are unique ignoring case: a name taken in any spelling MUST be a `Conflict` that
/// changes nothing.
pub fn insert_group(tx: &Tx<'_>, name: &str, description: Option<&str>, now: i64) -> Result<Group> {
    let c = tx.conn();
    c.execute(
        "INSERT INTO groups (name, description, created_at) VALUES (?1, ?2, ?3)",
        params![name, description, now],
    )
    .map_err(|e| conflict_or(e, || format!("group {name:?} already exists")))?;
    get_group(tx, name)
}

/// Matches the name in any case, like `insert_group`'s uniqueness.
pub fn find_group(tx: &Tx<'_>, name: &str) -> Result<Option<Group>> {
    let c = tx.conn();
    c.query_row(
        "SELECT id, name, description, created_at FROM groups WHERE lower(name) = lower(?1)",
        [name],
        from_row,
    )
    .optional()
}

/// The group `name`, or a NotFound error that says so.
pub fn get_group(tx: &Tx<'_>, name: &str) -> Result<Group> {
    find_group(tx, name)?.ok_or_else(|| StoreError::NotFound(format!("no group {name:?}")))
}

pub fn list_groups(tx: &Tx<'_>) -> Result<Vec<Group>> {
    let c = tx.conn();
    let mut st =
        c.prepare("SELECT id, name, description, created_at FROM groups ORDER BY lower(name)")?;
    let rows = st.query_map([], from_row)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// Delete a group. Refused while a client is restricted to it: removing it would silently
/// open that client to everyone. The refusal (a `Conflict`) MUST change nothing; a deletion
/// MUST take the group's memberships with it.
pub fn delete_group(tx: &Tx<'_>, g: &Group) -> Result<()> {
    let c = tx.conn();
    let restricting = list_clients_restricted_to(tx, g.id)?;
    if !restricting.is_empty() {
        return Err(StoreError::Conflict(format!(
            "group {:?} restricts the client(s) {}; take it off them first with `latchkey client update CLIENT --remove-allowed-group {}`",
            g.name,
            restricting.join(", "),
            g.name
        )));
    }
    c.execute("DELETE FROM groups WHERE id = ?1", [g.id])?;
    Ok(())
}

pub fn list_clients_restricted_to(tx: &Tx<'_>, group_id: i64) -> Result<Vec<String>> {
    tx.conn().query_all(
        "SELECT cl.client_id FROM client_allowed_groups a JOIN clients cl ON cl.id = a.client_pk \
         WHERE a.group_id = ?1 ORDER BY cl.client_id",
        [group_id],
        |r| r.get(0),
    )
}

/// Add a member; true when they were not one already.
pub fn insert_member(tx: &Tx<'_>, group_id: i64, user_id: i64, now: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(c.execute(
        "INSERT INTO group_members (group_id, user_id, added_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![group_id, user_id, now],
    )? == 1)
}

/// Remove a member; true when they were one.
pub fn delete_member(tx: &Tx<'_>, group_id: i64, user_id: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(c.execute(
        "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
        params![group_id, user_id],
    )? == 1)
}

/// How many members a group has.
pub fn count_members(tx: &Tx<'_>, group_id: i64) -> Result<i64> {
    let c = tx.conn();
    c.query_row(
        "SELECT COUNT(*) FROM group_members WHERE group_id = ?1",
        [group_id],
        |r| r.get(0),
    )
}

/// Usernames of a group's members.
pub fn list_member_usernames(tx: &Tx<'_>, group_id: i64) -> Result<Vec<String>> {
    tx.conn().query_all(
        "SELECT u.username FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = ?1 ORDER BY lower(u.username)",
        [group_id],
        |r| r.get(0),
    )
}

/// Names of the groups a user belongs to, sorted.
pub fn list_user_group_names(tx: &Tx<'_>, user_id: i64) -> Result<Vec<String>> {
    tx.conn().query_all(
        "SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id \
         WHERE m.user_id = ?1 ORDER BY lower(g.name)",
        [user_id],
        |r| r.get(0),
    )
}

/// Names of the groups a client is restricted to (empty: everyone may use it).
pub fn list_client_allowed_groups(tx: &Tx<'_>, client_pk: i64) -> Result<Vec<String>> {
    tx.conn().query_all(
        "SELECT g.name FROM client_allowed_groups a JOIN groups g ON g.id = a.group_id \
         WHERE a.client_pk = ?1 ORDER BY lower(g.name)",
        [client_pk],
        |r| r.get(0),
    )
}

/// Idempotent: allowing a group twice is not an error and stores it once.
pub fn insert_client_allowed_group(tx: &Tx<'_>, client_pk: i64, group_id: i64) -> Result<()> {
    let c = tx.conn();
    c.execute(
        "INSERT INTO client_allowed_groups (client_pk, group_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![client_pk, group_id],
    )?;
    Ok(())
}

pub fn delete_client_allowed_group(tx: &Tx<'_>, client_pk: i64, group_id: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(c.execute(
        "DELETE FROM client_allowed_groups WHERE client_pk = ?1 AND group_id = ?2",
        params![client_pk, group_id],
    )? == 1)
}

/// True when the client is open to everyone, or the user is in one of its allowed groups.
/// A client with no allowed group left MUST be open to everyone again.
pub fn user_may_use_client(tx: &Tx<'_>, user_id: i64, client_pk: i64) -> Result<bool> {
    let c = tx.conn();
    let mut st = c.prepare_cached(
        "SELECT NOT EXISTS (SELECT 1 FROM client_allowed_groups WHERE client_pk = ?1) \
         OR EXISTS (SELECT 1 FROM client_allowed_groups a JOIN group_members m \
                    ON m.group_id = a.group_id WHERE a.client_pk = ?1 AND m.user_id = ?2)",
    )?;
    st.query_row(params![client_pk, user_id], |r| r.get(0))
}
