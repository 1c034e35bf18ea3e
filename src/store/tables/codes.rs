//! Authorization codes: one-shot, short-lived, stored hashed.

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{OptionalExtension, params};

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub code_hash: String,
    pub client_pk: i64,
    pub user_id: i64,
    pub sid: Option<String>,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub claims: Option<String>,
    pub auth_time: i64,
    pub amr: String,
    /// The `acr` its ID token carries; None (codes from before): computed from `amr`.
    pub acr: Option<String>,
    pub expires_at: i64,
    /// The API (RFC 8707 resource) the tokens are for; None: userinfo.
    pub resource: Option<String>,
}

/// A code hash already stored (used or not) MUST be refused and change nothing.
pub fn insert_code(tx: &Tx<'_>, a: &AuthCode, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("INSERT INTO auth_codes (code_hash, client_pk, user_id, sid, redirect_uri, scope, nonce, code_challenge, \
         claims, auth_time, amr, created_at, expires_at, resource, acr) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")?
        .execute(params![
            a.code_hash, a.client_pk, a.user_id, a.sid, a.redirect_uri, a.scope, a.nonce, a.code_challenge,
            a.claims, a.auth_time, a.amr, now, a.expires_at, a.resource, a.acr
        ],
    )?;
    Ok(())
}

/// What happened when a code was redeemed.
#[derive(Debug)]
pub enum Consumed {
    /// First use: the code, now marked consumed.
    Fresh(Box<AuthCode>),
    /// Already used before: a replay. Carries what was issued from it, to revoke.
    Replayed {
        access_jti: Option<String>,
        access_expires_at: Option<i64>,
    },
    /// Unknown or expired.
    Invalid,
}

/// Redeem a code atomically: exactly one caller ever gets `Fresh`.
///
/// MUST hold across concurrent transactions: of many callers racing for one live code,
/// exactly one gets `Fresh` and every other one `Replayed` (never `Invalid`), so the replay is
/// detected and what was issued can be revoked. A consumed code stays `Replayed` after it expires,
/// until swept; a code is `Invalid` from its `expires_at` on, and a refused redemption records
/// nothing.
pub fn consume_code(tx: &Tx<'_>, code_hash: &str, now: i64) -> Result<Consumed> {
    let c = tx.conn();
    let row = c.prepare_cached("UPDATE auth_codes SET consumed_at = ?2 WHERE code_hash = ?1 AND consumed_at IS NULL AND expires_at > ?2 \
             RETURNING client_pk, user_id, sid, redirect_uri, scope, nonce, code_challenge, claims, auth_time, amr, expires_at, resource, acr")?
        .query_row(params![code_hash, now],
            |r| {
                Ok(AuthCode {
                    code_hash: code_hash.to_owned(),
                    client_pk: r.get(0)?,
                    user_id: r.get(1)?,
                    sid: r.get(2)?,
                    redirect_uri: r.get(3)?,
                    scope: r.get(4)?,
                    nonce: r.get(5)?,
                    code_challenge: r.get(6)?,
                    claims: r.get(7)?,
                    auth_time: r.get(8)?,
                    amr: r.get(9)?,
                    expires_at: r.get(10)?,
                    resource: r.get(11)?,
                    acr: r.get(12)?,
                })
            },
        )
        .optional()?;
    if let Some(code) = row {
        return Ok(Consumed::Fresh(Box::new(code)));
    }
    let used = c.prepare_cached("SELECT access_jti, access_expires_at FROM auth_codes WHERE code_hash = ?1 AND consumed_at IS NOT NULL")?
        .query_row([code_hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match used {
        Some((access_jti, access_expires_at)) => Consumed::Replayed {
            access_jti,
            access_expires_at,
        },
        None => Consumed::Invalid,
    })
}

/// Remember the access token issued from a code, so a replay can revoke it.
/// Every later `consume_code` of this code MUST report them in `Consumed::Replayed`.
pub fn update_code_access_token(
    tx: &Tx<'_>,
    code_hash: &str,
    jti: &str,
    expires_at: i64,
) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE auth_codes SET access_jti = ?2, access_expires_at = ?3 WHERE code_hash = ?1",
    )?
    .execute(params![code_hash, jti, expires_at])?;
    Ok(())
}
