//! User attributes (key/value) and the custom scopes that release them as claims.

use crate::store::Tx;
use crate::store::db::{OptionalExtension, params};
use crate::store::{Result, StoreError, conflict_or};
use std::collections::BTreeMap;

/// One value per user and key: a new one MUST replace the old.
pub fn upsert_user_attribute(tx: &Tx<'_>, user_id: i64, key: &str, value: &str) -> Result<()> {
    let c = tx.conn();
    c.execute(
        "INSERT INTO user_attributes (user_id, key, value) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
        params![user_id, key, value],
    )?;
    Ok(())
}

pub fn delete_user_attribute(tx: &Tx<'_>, user_id: i64, key: &str) -> Result<bool> {
    let c = tx.conn();
    Ok(c.execute(
        "DELETE FROM user_attributes WHERE user_id = ?1 AND key = ?2",
        params![user_id, key],
    )? == 1)
}

pub fn list_user_attributes(tx: &Tx<'_>, user_id: i64) -> Result<BTreeMap<String, String>> {
    let c = tx.conn();
    let mut st = c.prepare_cached("SELECT key, value FROM user_attributes WHERE user_id = ?1")?;
    let rows = st.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect::<Result<BTreeMap<_, _>, _>>()
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CustomScope {
    pub name: String,
    pub description: Option<String>,
    pub claims: Vec<String>,
    pub created_at: i64,
}

/// A taken name MUST be a `Conflict` that changes nothing (neither description nor claims).
/// Repeated claims are stored once.
pub fn insert_custom_scope(
    tx: &Tx<'_>,
    name: &str,
    description: Option<&str>,
    claims: &[String],
    now: i64,
) -> Result<CustomScope> {
    let c = tx.conn();
    c.execute(
        "INSERT INTO custom_scopes (name, description, created_at) VALUES (?1, ?2, ?3)",
        params![name, description, now],
    )
    .map_err(|e| conflict_or(e, || format!("scope {name:?} already exists")))?;
    for claim in claims {
        c.execute(
            "INSERT INTO custom_scope_claims (scope, claim) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![name, claim],
        )?;
    }
    get_custom_scope(tx, name)
}

pub fn find_custom_scope(tx: &Tx<'_>, name: &str) -> Result<Option<CustomScope>> {
    let c = tx.conn();
    let row = c
        .prepare_cached("SELECT name, description, created_at FROM custom_scopes WHERE name = ?1")?
        .query_row([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((name, description, created_at)) = row else {
        return Ok(None);
    };
    let mut st =
        c.prepare_cached("SELECT claim FROM custom_scope_claims WHERE scope = ?1 ORDER BY claim")?;
    let claims = st
        .query_map([&name], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(Some(CustomScope {
        name,
        description,
        claims,
        created_at,
    }))
}

pub fn get_custom_scope(tx: &Tx<'_>, name: &str) -> Result<CustomScope> {
    find_custom_scope(tx, name)?
        .ok_or_else(|| StoreError::NotFound(format!("no custom scope {name:?}")))
}

pub fn list_custom_scopes(tx: &Tx<'_>) -> Result<Vec<CustomScope>> {
    let c = tx.conn();
    let mut st = c.prepare("SELECT name FROM custom_scopes ORDER BY name")?;
    let names = st
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    names.iter().map(|n| get_custom_scope(tx, n)).collect()
}

/// MUST cascade: the scope's claims go with it.
pub fn delete_custom_scope(tx: &Tx<'_>, name: &str) -> Result<bool> {
    let c = tx.conn();
    Ok(c.execute("DELETE FROM custom_scopes WHERE name = ?1", [name])? == 1)
}

/// The claim names the custom scopes among `scopes` release, each scope's sorted (an explicit
/// order: PostgreSQL returns rows in no particular one).
pub fn claims_of_scopes<'a>(
    tx: &Tx<'_>,
    scopes: impl Iterator<Item = &'a str>,
) -> Result<Vec<String>> {
    let c = tx.conn();
    let mut st =
        c.prepare_cached("SELECT claim FROM custom_scope_claims WHERE scope = ?1 ORDER BY claim")?;
    let mut out = Vec::new();
    for s in scopes {
        for claim in st.query_map([s], |r| r.get::<_, String>(0))? {
            let claim = claim?;
            if !out.contains(&claim) {
                out.push(claim);
            }
        }
    }
    Ok(out)
}
