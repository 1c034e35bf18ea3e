//! Resource servers (APIs), their scopes, and the API scopes granted to each client.

use crate::store::Tx;
use crate::store::db::{OptionalExtension, params};
use crate::store::{Result, StoreError, conflict_or};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Api {
    #[serde(skip)]
    pub id: i64,
    /// The RFC 8707 resource identifier, and the `aud` of tokens for this API.
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub created_at: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiScope {
    pub scope: String,
    pub description: Option<String>,
}

/// A taken identifier, or a scope name taken by any API, MUST be a `Conflict` that stores
/// nothing (not the API, not its other scopes).
pub fn insert_api(
    tx: &Tx<'_>,
    identifier: &str,
    name: &str,
    scopes: &[ApiScope],
    now: i64,
) -> Result<Api> {
    let c = tx.conn();
    let new_id = c
        .insert(
            "INSERT INTO apis (identifier, name, created_at) VALUES (?1, ?2, ?3)",
            params![identifier, name, now],
        )
        .map_err(|e| conflict_or(e, || format!("API {identifier:?} already exists")))?;
    let id = new_id;
    for s in scopes {
        insert_api_scope(tx, id, s)?;
    }
    get_api(tx, identifier)
}

/// Scope names are unique across all APIs: a taken one MUST be a `Conflict`.
pub fn insert_api_scope(tx: &Tx<'_>, api_id: i64, s: &ApiScope) -> Result<()> {
    let c = tx.conn();
    c.execute(
        "INSERT INTO api_scopes (scope, api_id, description) VALUES (?1, ?2, ?3)",
        params![s.scope, api_id, s.description],
    )
    .map_err(|e| {
        conflict_or(e, || {
            format!(
                "the scope {:?} is already defined by an API; scope names are unique across APIs",
                s.scope
            )
        })
    })?;
    Ok(())
}

/// Only a scope of API `api_id` goes. MUST cascade: every client's grant of it goes too.
pub fn delete_api_scope(tx: &Tx<'_>, api_id: i64, scope: &str) -> Result<bool> {
    let c = tx.conn();
    Ok(c.execute(
        "DELETE FROM api_scopes WHERE api_id = ?1 AND scope = ?2",
        params![api_id, scope],
    )? == 1)
}

fn with_scopes(tx: &Tx<'_>, id: i64, identifier: String, name: String, at: i64) -> Result<Api> {
    let c = tx.conn();
    let mut st = c.prepare_cached(
        "SELECT scope, description FROM api_scopes WHERE api_id = ?1 ORDER BY scope",
    )?;
    let scopes = st
        .query_map([id], |r| {
            Ok(ApiScope {
                scope: r.get(0)?,
                description: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Api {
        id,
        identifier,
        name,
        scopes,
        created_at: at,
    })
}

pub fn find_api(tx: &Tx<'_>, identifier: &str) -> Result<Option<Api>> {
    let c = tx.conn();
    let row = c
        .prepare_cached("SELECT id, identifier, name, created_at FROM apis WHERE identifier = ?1")?
        .query_row([identifier], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    row.map(|(id, ident, name, at)| with_scopes(tx, id, ident, name, at))
        .transpose()
}

/// The API `identifier`, or a NotFound error that says so.
pub fn get_api(tx: &Tx<'_>, identifier: &str) -> Result<Api> {
    find_api(tx, identifier)?.ok_or_else(|| StoreError::NotFound(format!("no API {identifier:?}")))
}

pub fn list_apis(tx: &Tx<'_>) -> Result<Vec<Api>> {
    let c = tx.conn();
    let mut st =
        c.prepare("SELECT id, identifier, name, created_at FROM apis ORDER BY identifier")?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<Vec<(i64, String, String, i64)>, _>>()?;
    rows.into_iter()
        .map(|(id, ident, name, at)| with_scopes(tx, id, ident, name, at))
        .collect()
}

/// MUST cascade: the API's scopes, and every client's grants of them, go with it.
pub fn delete_api(tx: &Tx<'_>, id: i64) -> Result<()> {
    let c = tx.conn();
    c.execute("DELETE FROM apis WHERE id = ?1", [id])?;
    Ok(())
}

/// True when `scope` names a scope of some API.
pub fn is_api_scope(tx: &Tx<'_>, scope: &str) -> Result<bool> {
    let c = tx.conn();
    let mut st = c.prepare_cached("SELECT 1 FROM api_scopes WHERE scope = ?1")?;
    st.exists([scope])
}

/// Idempotent: granting a scope twice is not an error and stores it once.
pub fn insert_client_api_scope(tx: &Tx<'_>, client_pk: i64, scope: &str) -> Result<()> {
    let c = tx.conn();
    c.execute(
        "INSERT INTO client_api_scopes (client_pk, scope) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![client_pk, scope],
    )?;
    Ok(())
}

pub fn delete_client_api_scope(tx: &Tx<'_>, client_pk: i64, scope: &str) -> Result<bool> {
    let c = tx.conn();
    Ok(c.execute(
        "DELETE FROM client_api_scopes WHERE client_pk = ?1 AND scope = ?2",
        params![client_pk, scope],
    )? == 1)
}

/// The scopes of API `api_id` granted to a client, sorted.
pub fn list_client_api_scopes(tx: &Tx<'_>, client_pk: i64, api_id: i64) -> Result<Vec<String>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(
        "SELECT g.scope FROM client_api_scopes g JOIN api_scopes s ON s.scope = g.scope \
         WHERE g.client_pk = ?1 AND s.api_id = ?2 ORDER BY g.scope",
    )?;
    let rows = st.query_map(params![client_pk, api_id], |r| r.get(0))?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// Every API scope granted to a client, as `(API identifier, scope)`.
pub fn list_client_grants(tx: &Tx<'_>, client_pk: i64) -> Result<Vec<(String, String)>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(
        "SELECT a.identifier, g.scope FROM client_api_scopes g \
         JOIN api_scopes s ON s.scope = g.scope JOIN apis a ON a.id = s.api_id \
         WHERE g.client_pk = ?1 ORDER BY a.identifier, g.scope",
    )?;
    let rows = st.query_map([client_pk], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// Every API identifier, sorted: the audiences our access tokens may carry besides userinfo.
pub fn list_identifiers(tx: &Tx<'_>) -> Result<Vec<String>> {
    let c = tx.conn();
    let mut st = c.prepare_cached("SELECT identifier FROM apis ORDER BY identifier")?;
    let rows = st.query_map([], |r| r.get(0))?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// The name of the API that defines `scope`, and the scope's description.
pub fn find_scope_owner(tx: &Tx<'_>, scope: &str) -> Result<Option<(String, Option<String>)>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(
        "SELECT a.name, s.description FROM api_scopes s JOIN apis a ON a.id = s.api_id WHERE s.scope = ?1",
    )?;
    st.query_row([scope], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}
