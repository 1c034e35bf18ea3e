//! Upstream sign-in: linked identities, sign-ins in flight at an upstream, and identities
//! waiting to be linked (migration 0013).

use crate::store::Tx;
use crate::store::db::{OptionalExtension, Row, params};
use crate::store::{Result, conflict_or};

/// A person's identity at an upstream provider, linked to a local user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub user_id: i64,
    pub upstream: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const IDENTITY_COLUMNS: &str =
    "id, user_id, upstream_id, issuer, subject, email, created_at, last_used_at";

fn identity(r: &Row<'_>) -> crate::store::Result<Identity> {
    Ok(Identity {
        id: r.get(0)?,
        user_id: r.get(1)?,
        upstream: r.get(2)?,
        issuer: r.get(3)?,
        subject: r.get(4)?,
        email: r.get(5)?,
        created_at: r.get(6)?,
        last_used_at: r.get(7)?,
    })
}

/// Link (issuer, subject) to `user_id`. MUST refuse (Conflict) a pair linked already, to
/// anyone.
pub fn insert_identity(
    tx: &Tx<'_>,
    user_id: i64,
    upstream_id: &str,
    issuer: &str,
    subject: &str,
    email: Option<&str>,
    now: i64,
) -> Result<Identity> {
    let c = tx.conn();
    let new_id = c.insert("INSERT INTO upstream_identities (user_id, upstream_id, issuer, subject, email, created_at, last_used_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)", params![user_id, upstream_id, issuer, subject, email, now])
    .map_err(|e| conflict_or(e, || "this identity is linked to an account already".to_owned()))?;
    let id = new_id;
    c.prepare_cached(&format!(
        "SELECT {IDENTITY_COLUMNS} FROM upstream_identities WHERE id = ?1"
    ))?
    .query_row([id], identity)
}

pub fn find_identity(tx: &Tx<'_>, issuer: &str, subject: &str) -> Result<Option<Identity>> {
    let c = tx.conn();
    c.prepare_cached(&format!(
        "SELECT {IDENTITY_COLUMNS} FROM upstream_identities WHERE issuer = ?1 AND subject = ?2"
    ))?
    .query_row(params![issuer, subject], identity)
    .optional()
}

/// A user's linked identities, oldest first.
pub fn list_user_identities(tx: &Tx<'_>, user_id: i64) -> Result<Vec<Identity>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(&format!(
        "SELECT {IDENTITY_COLUMNS} FROM upstream_identities WHERE user_id = ?1 ORDER BY id"
    ))?;
    let rows = st.query_map([user_id], identity)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// A sign-in with this identity: when, and the email the upstream gave this time.
pub fn touch_identity(tx: &Tx<'_>, id: i64, email: Option<&str>, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE upstream_identities SET last_used_at = ?2, email = COALESCE(?3, email) WHERE id = ?1",
    )?
    .execute(params![id, now, email])?;
    Ok(())
}

/// Unlink; false when there was no such identity.
pub fn delete_identity(tx: &Tx<'_>, id: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(
        c.prepare_cached("DELETE FROM upstream_identities WHERE id = ?1")?
            .execute([id])?
            > 0,
    )
}

/// What a sign-in sent to an upstream needs back at its callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub upstream_id: String,
    /// `sign_in` or `link`.
    pub purpose: String,
    pub binding_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The parked authorization request's handle, if any.
    pub pending: Option<String>,
    /// The local page to go to afterwards, outside an authorization request.
    pub next: Option<String>,
    /// `link`: the account page's session.
    pub session_id: Option<i64>,
    pub source: String,
    pub expires_at: i64,
}

pub fn insert_flow(tx: &Tx<'_>, state_hash: &str, f: &Flow) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO upstream_flows (state_hash, upstream_id, purpose, binding_hash, nonce, \
         pkce_verifier, pending, next, session_id, source, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        state_hash,
        f.upstream_id,
        f.purpose,
        f.binding_hash,
        f.nonce,
        f.pkce_verifier,
        f.pending,
        f.next,
        f.session_id,
        f.source,
        f.expires_at
    ])
    .map_err(|e| conflict_or(e, || "state taken".to_owned()))?;
    Ok(())
}

/// Take the flow behind `state_hash` out of the store. MUST hand it out at most once, and
/// never once expired.
pub fn consume_flow(tx: &Tx<'_>, state_hash: &str, now: i64) -> Result<Option<Flow>> {
    let c = tx.conn();
    let row = c
        .prepare_cached(
            "DELETE FROM upstream_flows WHERE state_hash = ?1 RETURNING upstream_id, purpose, \
             binding_hash, nonce, pkce_verifier, pending, next, session_id, source, expires_at",
        )?
        .query_row([state_hash], |r| {
            Ok(Flow {
                upstream_id: r.get(0)?,
                purpose: r.get(1)?,
                binding_hash: r.get(2)?,
                nonce: r.get(3)?,
                pkce_verifier: r.get(4)?,
                pending: r.get(5)?,
                next: r.get(6)?,
                session_id: r.get(7)?,
                source: r.get(8)?,
                expires_at: r.get(9)?,
            })
        })
        .optional()?;
    Ok(row.filter(|f| f.expires_at > now))
}

/// Unfinished upstream sign-ins `source` has begun.
pub fn count_flows_from(tx: &Tx<'_>, source: &str, now: i64) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached("SELECT COUNT(*) FROM upstream_flows WHERE source = ?1 AND expires_at > ?2")?
        .query_row(params![source, now], |r| r.get(0))
}

/// An identity waiting on the "No account is linked" page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLink {
    pub upstream_id: String,
    pub binding_hash: String,
    /// The verified identity, as JSON (see `oidc::upstream::Identity`).
    pub identity: String,
    pub pending: Option<String>,
    pub next: Option<String>,
    pub expires_at: i64,
}

pub fn insert_link(tx: &Tx<'_>, handle_hash: &str, l: &PendingLink) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO upstream_links (handle_hash, upstream_id, binding_hash, identity, pending, \
         next, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        handle_hash,
        l.upstream_id,
        l.binding_hash,
        l.identity,
        l.pending,
        l.next,
        l.expires_at
    ])
    .map_err(|e| conflict_or(e, || "link handle taken".to_owned()))?;
    Ok(())
}

const LINK_COLUMNS: &str = "upstream_id, binding_hash, identity, pending, next, expires_at";

fn link(r: &Row<'_>) -> crate::store::Result<PendingLink> {
    Ok(PendingLink {
        upstream_id: r.get(0)?,
        binding_hash: r.get(1)?,
        identity: r.get(2)?,
        pending: r.get(3)?,
        next: r.get(4)?,
        expires_at: r.get(5)?,
    })
}

/// The waiting identity behind `handle_hash`, left in place (the page is shown again after a
/// wrong password).
pub fn find_link(tx: &Tx<'_>, handle_hash: &str, now: i64) -> Result<Option<PendingLink>> {
    let c = tx.conn();
    Ok(c.prepare_cached(&format!(
        "SELECT {LINK_COLUMNS} FROM upstream_links WHERE handle_hash = ?1"
    ))?
    .query_row([handle_hash], link)
    .optional()?
    .filter(|l| l.expires_at > now))
}

/// Take the waiting identity out of the store: at most once, never once expired.
pub fn consume_link(tx: &Tx<'_>, handle_hash: &str, now: i64) -> Result<Option<PendingLink>> {
    let c = tx.conn();
    Ok(c.prepare_cached(&format!(
        "DELETE FROM upstream_links WHERE handle_hash = ?1 RETURNING {LINK_COLUMNS}"
    ))?
    .query_row([handle_hash], link)
    .optional()?
    .filter(|l| l.expires_at > now))
}
