//! Refresh tokens (rotated; each family shares a `family_id`) and the access-token deny-list.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{OptionalExtension, Row, ToValue, params};

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub id: i64,
    pub family_id: String,
    pub client_pk: i64,
    pub user_id: i64,
    pub sid: Option<String>,
    pub scope: String,
    pub claims: Option<String>,
    pub auth_time: i64,
    pub amr: String,
    /// The `acr` of the family's ID tokens; None (tokens from before): computed from `amr`.
    pub acr: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The API (RFC 8707 resource) the family's access tokens are for; None: userinfo.
    pub resource: Option<String>,
}

pub struct NewRefreshToken<'a> {
    pub token_hash: &'a str,
    pub family_id: &'a str,
    pub client_pk: i64,
    pub user_id: i64,
    pub sid: Option<&'a str>,
    pub scope: &'a str,
    pub claims: Option<&'a str>,
    pub auth_time: i64,
    pub amr: &'a str,
    pub acr: Option<&'a str>,
    pub code_hash: Option<&'a str>,
    pub expires_at: i64,
    pub access_jti: &'a str,
    pub access_expires_at: i64,
    pub resource: Option<&'a str>,
}

const COLUMNS: &str = "id, family_id, client_pk, user_id, sid, scope, claims, auth_time, amr, \
                       created_at, expires_at, used_at, revoked_at, resource, acr";

fn from_row(r: &Row<'_>) -> crate::store::Result<RefreshToken> {
    Ok(RefreshToken {
        id: r.get(0)?,
        family_id: r.get(1)?,
        client_pk: r.get(2)?,
        user_id: r.get(3)?,
        sid: r.get(4)?,
        scope: r.get(5)?,
        claims: r.get(6)?,
        auth_time: r.get(7)?,
        amr: r.get(8)?,
        created_at: r.get(9)?,
        expires_at: r.get(10)?,
        used_at: r.get(11)?,
        revoked_at: r.get(12)?,
        resource: r.get(13)?,
        acr: r.get(14)?,
    })
}

pub fn insert_refresh_token(tx: &Tx<'_>, t: &NewRefreshToken<'_>, now: i64) -> Result<()> {
    tx.needs_sync();
    let c = tx.conn();
    c.prepare_cached("INSERT INTO refresh_tokens (token_hash, family_id, client_pk, user_id, sid, scope, claims, auth_time, amr, \
         code_hash, created_at, expires_at, access_jti, access_expires_at, resource, acr) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)")?
        .execute(params![
            t.token_hash, t.family_id, t.client_pk, t.user_id, t.sid, t.scope, t.claims, t.auth_time,
            t.amr, t.code_hash, now, t.expires_at, t.access_jti, t.access_expires_at, t.resource, t.acr
        ],
    )?;
    Ok(())
}

pub fn find_refresh_token(tx: &Tx<'_>, token_hash: &str) -> Result<Option<RefreshToken>> {
    let c = tx.conn();
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM refresh_tokens WHERE token_hash = ?1"
    ))?
    .query_row([token_hash], from_row)
    .optional()
}

/// Mark a token used, atomically: false when it was already used or revoked (a replay).
/// MUST be atomic across concurrent transactions: of many racing rotations exactly one gets true.
pub fn consume_refresh_token(tx: &Tx<'_>, id: i64, now: i64) -> Result<bool> {
    tx.needs_sync();
    let c = tx.conn();
    Ok(c.prepare_cached("UPDATE refresh_tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL")?
        .execute(params![id, now],
    )? == 1)
}

/// Deny-list the live access tokens issued alongside the matching refresh tokens, then revoke them.
/// In `cond`, `?1` is `now` and `?2`, `?3`... are `args`.
fn revoke_where(tx: &Tx<'_>, cond: &str, now: i64, args: &[&dyn ToValue]) -> Result<usize> {
    tx.needs_sync();
    let c = tx.conn();
    let mut all: Vec<&dyn ToValue> = vec![&now];
    all.extend_from_slice(args);
    let [deny, revoke] = revocation_sql(cond);
    c.prepare_cached(&deny)?.execute(all.as_slice())?;
    c.prepare_cached(&revoke)?.execute(all.as_slice())
}

/// A revocation's two statements for `cond`. Each runs in the writer turn, so each must find its
/// rows through an index (a test checks every `cond` below).
fn revocation_sql(cond: &str) -> [String; 2] {
    [
        format!(
            "INSERT INTO revoked_access_tokens (jti, expires_at) \
             SELECT access_jti, access_expires_at FROM refresh_tokens \
             WHERE {cond} AND access_jti IS NOT NULL AND access_expires_at > ?1 \
             ON CONFLICT DO NOTHING"
        ),
        format!("UPDATE refresh_tokens SET revoked_at = ?1 WHERE {cond} AND revoked_at IS NULL"),
    ]
}

const BY_FAMILY: &str = "family_id = ?2";
const BY_USER: &str = "user_id = ?2";
const BY_CODE: &str = "family_id IN (SELECT family_id FROM refresh_tokens WHERE code_hash = ?2)";
const BY_SESSION: &str = "sid = ?2";
const BY_USER_AND_CLIENT: &str = "user_id = ?2 AND client_pk = ?3";

pub fn revoke_refresh_family(tx: &Tx<'_>, family_id: &str, now: i64) -> Result<usize> {
    revoke_where(tx, BY_FAMILY, now, &[&family_id])
}

pub fn revoke_user_refresh_tokens(tx: &Tx<'_>, user_id: i64, now: i64) -> Result<usize> {
    revoke_where(tx, BY_USER, now, &[&user_id])
}

/// Revoke every family that started from the authorization code `code_hash` (code replay).
pub fn revoke_refresh_tokens_from_code(tx: &Tx<'_>, code_hash: &str, now: i64) -> Result<usize> {
    revoke_where(tx, BY_CODE, now, &[&code_hash])
}

/// Revoke the refresh tokens bound to a browser session (offline ones have no sid and survive).
pub fn revoke_session_refresh_tokens(tx: &Tx<'_>, sid: &str, now: i64) -> Result<usize> {
    revoke_where(tx, BY_SESSION, now, &[&sid])
}

/// Revoke everything `user_id` holds at `client_pk` (the account page's "revoke app").
pub fn revoke_user_client_refresh_tokens(
    tx: &Tx<'_>,
    user_id: i64,
    client_pk: i64,
    now: i64,
) -> Result<usize> {
    revoke_where(tx, BY_USER_AND_CLIENT, now, &[&user_id, &client_pk])
}

/// Revoke an access token by its `jti` until it would have expired anyway.
pub fn insert_revoked_jti(tx: &Tx<'_>, jti: &str, expires_at: i64) -> Result<()> {
    tx.needs_sync();
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?
    .execute(params![jti, expires_at])?;
    Ok(())
}

pub fn is_jti_revoked(tx: &Tx<'_>, jti: &str) -> Result<bool> {
    let c = tx.conn();
    Ok(
        c.prepare_cached("SELECT 1 FROM revoked_access_tokens WHERE jti = ?1")?
            .query_row([jti], |_| Ok(()))
            .optional()?
            .is_some(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_revocation_finds_its_rows_through_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latchkey.db");
        drop(crate::store::Store::open(&path).unwrap());
        let c = rusqlite::Connection::open(&path).unwrap();
        let conds = [BY_FAMILY, BY_USER, BY_CODE, BY_SESSION, BY_USER_AND_CLIENT];
        for sql in conds.iter().flat_map(|c| revocation_sql(c)) {
            let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let nulls = vec![rusqlite::types::Null; st.parameter_count()];
            let plan: Vec<String> = st
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join("; ");
            assert!(
                !plan.contains("SCAN refresh_tokens"),
                "{sql}\nscans every refresh token: {plan}"
            );
        }
    }
}
