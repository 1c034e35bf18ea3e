//! Passkeys, the WebAuthn user handle of each account, and ceremonies between their two
//! requests (migration 0011).
//!
//! The credential is stored as webauthn-rs serialised it (`crypto::passkey`): the store keeps
//! text it never interprets, found by the credential id.

use crate::store::Tx;
use crate::store::db::{OptionalExtension, Row, params};
use crate::store::{Result, StoreError, conflict_or};

/// One registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    pub id: i64,
    pub user_id: i64,
    /// The credential id, base64url without padding.
    pub credential_id: String,
    /// The name the user gave it.
    pub name: String,
    /// The serialised credential (public key, counter, flags).
    pub credential: String,
    pub backup_eligible: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A passkey to register.
#[derive(Debug, Clone)]
pub struct NewPasskey<'a> {
    pub user_id: i64,
    pub credential_id: &'a str,
    pub name: &'a str,
    pub credential: &'a str,
    pub backup_eligible: bool,
}

const COLUMNS: &str =
    "id, user_id, credential_id, name, credential, backup_eligible, created_at, last_used_at";

fn passkey(r: &Row<'_>) -> crate::store::Result<Passkey> {
    Ok(Passkey {
        id: r.get(0)?,
        user_id: r.get(1)?,
        credential_id: r.get(2)?,
        name: r.get(3)?,
        credential: r.get(4)?,
        backup_eligible: r.get(5)?,
        created_at: r.get(6)?,
        last_used_at: r.get(7)?,
    })
}

/// Register a passkey. A credential id registered before (to anyone) MUST be a `Conflict` that
/// changes nothing: one authenticator credential belongs to one account.
pub fn insert_passkey(tx: &Tx<'_>, p: &NewPasskey<'_>, now: i64) -> Result<i64> {
    let c = tx.conn();
    let taken = || "this passkey is registered already".to_owned();
    // No error for a taken credential id (no row instead): the caller answers the conflict
    // and commits, and on PostgreSQL a failed statement would abort the whole unit.
    c.query_row(
        "INSERT INTO passkeys (user_id, credential_id, name, credential, backup_eligible, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (credential_id) DO NOTHING RETURNING id",
        params![
            p.user_id,
            p.credential_id,
            p.name,
            p.credential,
            p.backup_eligible,
            now
        ],
        |r| r.get(0),
    )
    .optional()
    .map_err(|e| conflict_or(e, taken))?
    .ok_or_else(|| StoreError::Conflict(taken()))
}

/// The user's passkeys, oldest first.
pub fn list_user_passkeys(tx: &Tx<'_>, user_id: i64) -> Result<Vec<Passkey>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM passkeys WHERE user_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = st.query_map([user_id], passkey)?;
    rows.collect::<Result<_, _>>()
}

/// How many passkeys the user has.
pub fn count_user_passkeys(tx: &Tx<'_>, user_id: i64) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached("SELECT COUNT(*) FROM passkeys WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))
}

/// The passkey with this credential id (base64url), whoever's it is.
pub fn find_passkey_by_credential_id(tx: &Tx<'_>, credential_id: &str) -> Result<Option<Passkey>> {
    let c = tx.conn();
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM passkeys WHERE credential_id = ?1"
    ))?
    .query_row([credential_id], passkey)
    .optional()
}

/// A sign-in with the passkey: its credential as webauthn-rs updated it (counter, backup
/// state) when it changed, and the time of use.
pub fn record_passkey_use(
    tx: &Tx<'_>,
    id: i64,
    credential: Option<&str>,
    backup_eligible: bool,
    now: i64,
) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE passkeys SET credential = COALESCE(?2, credential), \
         backup_eligible = CASE WHEN CAST(?3 AS BIGINT) = 1 THEN 1 ELSE backup_eligible END, last_used_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, credential, backup_eligible, now])?;
    Ok(())
}

/// Remove one of the user's passkeys (by row id); None when it is not theirs. Returns the
/// removed passkey.
pub fn delete_user_passkey(tx: &Tx<'_>, user_id: i64, id: i64) -> Result<Option<Passkey>> {
    let c = tx.conn();
    c.prepare_cached(&format!(
        "DELETE FROM passkeys WHERE id = ?1 AND user_id = ?2 RETURNING {COLUMNS}"
    ))?
    .query_row(params![id, user_id], passkey)
    .optional()
}

/// Remove every passkey of the user (`latchkey user reset-mfa`); returns how many went. The
/// user handle stays, so passkeys made later on the same authenticator replace the old ones.
pub fn delete_all_for_user(tx: &Tx<'_>, user_id: i64) -> Result<usize> {
    let c = tx.conn();
    c.prepare_cached("DELETE FROM passkeys WHERE user_id = ?1")?
        .execute([user_id])
}

/// The user's WebAuthn user handle, made from `fresh` the first time. MUST return the same
/// handle for a user every time after that.
pub fn user_handle(tx: &Tx<'_>, user_id: i64, fresh: &str) -> Result<String> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO passkey_handles (user_id, handle) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?
    .execute(params![user_id, fresh])?;
    c.prepare_cached("SELECT handle FROM passkey_handles WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))
}

/// The user a WebAuthn user handle belongs to.
pub fn find_user_by_handle(tx: &Tx<'_>, handle: &str) -> Result<Option<i64>> {
    let c = tx.conn();
    c.prepare_cached("SELECT user_id FROM passkey_handles WHERE handle = ?1")?
        .query_row([handle], |r| r.get(0))
        .optional()
}

/// What a ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// Adding a passkey on the account page.
    Register,
    /// Signing in with a passkey alone (discoverable credential).
    SignIn,
    /// A passkey on top of a session (second factor, step-up).
    SecondFactor,
}

impl ChallengeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Register => "register",
            ChallengeKind::SignIn => "sign_in",
            ChallengeKind::SecondFactor => "second_factor",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Register, Self::SignIn, Self::SecondFactor]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A ceremony between begin and finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub kind: ChallengeKind,
    pub user_id: Option<i64>,
    pub session_id: Option<i64>,
    /// The name of a passkey being added.
    pub name: Option<String>,
    /// webauthn-rs's ceremony state.
    pub state: String,
    pub source: String,
    pub expires_at: i64,
}

pub fn insert_challenge(tx: &Tx<'_>, handle_hash: &str, ch: &Challenge) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO webauthn_challenges \
         (handle_hash, kind, user_id, session_id, name, state, source, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        handle_hash,
        ch.kind.as_str(),
        ch.user_id,
        ch.session_id,
        ch.name,
        ch.state,
        ch.source,
        ch.expires_at
    ])
    .map_err(|e| conflict_or(e, || "challenge handle taken".to_owned()))?;
    Ok(())
}

/// Take the ceremony behind `handle_hash` out of the store. MUST hand a ceremony out at most
/// once (of racing finishes exactly one gets it), and never once it has expired.
pub fn consume_challenge(tx: &Tx<'_>, handle_hash: &str, now: i64) -> Result<Option<Challenge>> {
    let c = tx.conn();
    let row = c
        .prepare_cached(
            "DELETE FROM webauthn_challenges WHERE handle_hash = ?1 \
             RETURNING kind, user_id, session_id, name, state, source, expires_at",
        )?
        .query_row([handle_hash], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Challenge {
                    kind: ChallengeKind::SignIn,
                    user_id: r.get(1)?,
                    session_id: r.get(2)?,
                    name: r.get(3)?,
                    state: r.get(4)?,
                    source: r.get(5)?,
                    expires_at: r.get(6)?,
                },
            ))
        })
        .optional()?;
    Ok(row.and_then(|(kind, ch)| {
        let kind = ChallengeKind::parse(&kind)?;
        (ch.expires_at > now).then_some(Challenge { kind, ..ch })
    }))
}

/// How many unexpired ceremonies `source` has begun.
pub fn count_challenges_from(tx: &Tx<'_>, source: &str, now: i64) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached(
        "SELECT COUNT(*) FROM webauthn_challenges WHERE source = ?1 AND expires_at > ?2",
    )?
    .query_row(params![source, now], |r| r.get(0))
}

/// Forget expired ceremonies; returns how many went.
pub fn delete_expired_challenges(tx: &Tx<'_>, now: i64) -> Result<usize> {
    let c = tx.conn();
    c.prepare_cached("DELETE FROM webauthn_challenges WHERE expires_at <= ?1")?
        .execute([now])
}
