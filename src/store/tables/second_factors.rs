//! Second factors and recovery codes (migration 0010).
//!
//! `second_factors` holds one authenticator app (TOTP) per user: its seed sealed by
//! `crypto::seal` (the store never sees it in the clear), and the last accepted time step.
//! Passkeys live in a table of their own (`passkeys`, added with them): a WebAuthn credential
//! has a credential id to look up by, a public key and counters, nothing like a TOTP seed.
//! `recovery_codes` holds keyed hashes of one-time codes; a used code keeps its row.

use crate::store::Tx;
use crate::store::db::{OptionalExtension, params};
use crate::store::{Result, conflict_or};

/// A user's authenticator app.
#[derive(Debug, Clone)]
pub struct Totp {
    pub id: i64,
    pub user_id: i64,
    /// The sealed seed (see `crypto::seal`).
    pub sealed_seed: Vec<u8>,
    pub last_step: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The user's authenticator app, if one is set up.
pub fn find_totp(tx: &Tx<'_>, user_id: i64) -> Result<Option<Totp>> {
    let c = tx.conn();
    c.prepare_cached(
        "SELECT id, user_id, secret, last_step, created_at, last_used_at FROM second_factors \
         WHERE user_id = ?1 AND kind = 'totp'",
    )?
    .query_row([user_id], |r| {
        Ok(Totp {
            id: r.get(0)?,
            user_id: r.get(1)?,
            sealed_seed: r.get(2)?,
            last_step: r.get(3)?,
            created_at: r.get(4)?,
            last_used_at: r.get(5)?,
        })
    })
    .optional()
}

/// Whether the user has an authenticator app or a passkey: anything that makes two factors
/// their floor (`oidc::mfa::user_floor`), asked in one statement on every sign-in decision.
pub fn has_second_factor_or_passkey(tx: &Tx<'_>, user_id: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(c.prepare_cached(
        "SELECT 1 FROM second_factors WHERE user_id = ?1 \
             UNION ALL SELECT 1 FROM passkeys WHERE user_id = ?1 LIMIT 1",
    )?
    .query_row([user_id], |_| Ok(()))
    .optional()?
    .is_some())
}

/// Set up an authenticator app; `step` is the step of the code that confirmed it (already
/// used, so it cannot sign in again). A user who has one MUST get a `Conflict` and keep it.
pub fn insert_totp(
    tx: &Tx<'_>,
    user_id: i64,
    sealed_seed: &[u8],
    step: i64,
    now: i64,
) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO second_factors (user_id, kind, secret, last_step, created_at, last_used_at) \
         VALUES (?1, 'totp', ?2, ?3, ?4, ?4)",
    )?
    .execute(params![user_id, sealed_seed, step, now])
    .map_err(|e| conflict_or(e, || "an authenticator app is already set up".to_owned()))?;
    Ok(())
}

/// Accept a code of time step `step` for factor `id`: true when no code of this step or a
/// later one was accepted before. MUST be atomic: of many racing uses of one code exactly one
/// gets true (a code is accepted once).
pub fn use_totp_step(tx: &Tx<'_>, id: i64, step: i64, now: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(c.prepare_cached(
        "UPDATE second_factors SET last_step = ?2, last_used_at = ?3 \
         WHERE id = ?1 AND (last_step IS NULL OR last_step < ?2)",
    )?
    .execute(params![id, step, now])?
        == 1)
}

/// Remove the user's authenticator app; false when there was none.
pub fn delete_totp(tx: &Tx<'_>, user_id: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(
        c.prepare_cached("DELETE FROM second_factors WHERE user_id = ?1 AND kind = 'totp'")?
            .execute([user_id])?
            > 0,
    )
}

/// Remove every second factor and recovery code of the user; returns how many factors went.
pub fn delete_all(tx: &Tx<'_>, user_id: i64) -> Result<usize> {
    let c = tx.conn();
    let n = c
        .prepare_cached("DELETE FROM second_factors WHERE user_id = ?1")?
        .execute([user_id])?;
    delete_recovery_codes(tx, user_id)?;
    Ok(n)
}

/// Replace the user's recovery codes with these (keyed hashes).
pub fn replace_recovery_codes(
    tx: &Tx<'_>,
    user_id: i64,
    code_hashes: &[String],
    now: i64,
) -> Result<()> {
    delete_recovery_codes(tx, user_id)?;
    let c = tx.conn();
    let mut st = c.prepare_cached(
        "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?;
    for h in code_hashes {
        st.execute(params![user_id, h, now])?;
    }
    Ok(())
}

pub fn delete_recovery_codes(tx: &Tx<'_>, user_id: i64) -> Result<usize> {
    let c = tx.conn();
    c.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?
        .execute([user_id])
}

/// Use a recovery code: true when it was the user's and unused. MUST be atomic: of many
/// racing uses of one code exactly one gets true.
pub fn use_recovery_code(tx: &Tx<'_>, user_id: i64, code_hash: &str, now: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(c.prepare_cached(
        "UPDATE recovery_codes SET used_at = ?3 \
         WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
    )?
    .execute(params![user_id, code_hash, now])?
        == 1)
}

/// The user's recovery codes: (unused, total, when one was last used).
pub fn recovery_code_counts(tx: &Tx<'_>, user_id: i64) -> Result<(i64, i64, Option<i64>)> {
    let c = tx.conn();
    c.prepare_cached(
        "SELECT COUNT(*) FILTER (WHERE used_at IS NULL), COUNT(*), MAX(used_at) \
         FROM recovery_codes WHERE user_id = ?1",
    )?
    .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
}

/// How many users have an authenticator app set up (for doctor).
pub fn count_totp_users(tx: &Tx<'_>) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached("SELECT COUNT(*) FROM second_factors WHERE kind = 'totp'")?
        .query_row([], |r| r.get(0))
}
