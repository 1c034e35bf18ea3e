//! Passkeys in the sign-in and on the account page. Every WebAuthn ceremony has two requests:
//! *begin* returns the options for `navigator.credentials.create/get` and keeps webauthn-rs's
//! state in the store under a random handle (hashed, [`CEREMONY_SECS`], at most
//! `pending_requests_per_address` open per client address); *finish* takes that state out
//! once and checks the browser's answer against it.
//!
//! - [`enrol`]: adding a passkey on the account page (a fresh sign-in required), removing one.
//! - [`sign_in`]: signing in with a passkey alone (a discoverable credential, user
//!   verification required: `hwk`/`swk` + `user` + `mfa`, level `phr`), and a passkey on top of
//!   a session on the second-factor page (after a password, or to step up to `phr`).
//!
//! The relying party is the issuer (`crypto::passkey::relying_party_of`); when the issuer
//! cannot be one, every ceremony answers [`Refusal::Unavailable`].

pub mod enrol;
pub mod sign_in;

use crate::config::Settings;
use crate::crypto::passkey::{CEREMONY_SECS, PasskeyError, RelyingParty};
use crate::crypto::random;
use crate::store::passkeys::{self, Challenge, ChallengeKind};
use crate::store::{StoreError, Tx, audit};
use serde_json::Value;

/// Why a ceremony step is refused: the web layer answers each with a 4xx JSON error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The issuer cannot be a WebAuthn relying party (IP address, plain http off localhost).
    Unavailable,
    /// No signed-in session (or not the one that began the ceremony).
    NotSignedIn,
    /// Adding or removing a passkey needs a sign-in within `reauth_secs`.
    NotFresh,
    /// The ceremony is unknown, finished already, expired, or of another kind.
    Expired,
    /// The authorization request the sign-in is for is gone.
    RequestExpired,
    /// The answer is not a WebAuthn credential.
    Malformed(String),
    /// A well-formed answer that proves nothing (or a passkey nobody registered).
    Rejected,
    /// Too many ceremonies begun from this address.
    TooMany,
    /// This passkey is registered already.
    Taken,
    /// The name for a new passkey is empty, too long or not printable.
    BadName,
    /// The account has no passkey to ask for.
    NoPasskey,
    /// Not found among the user's passkeys.
    Unknown,
    /// The account's last way in (a passkey-only account's only passkey).
    LastWayIn,
    /// The invite link is unknown, used or expired.
    LinkGone,
}

/// A ceremony begun: the handle the browser sends back with its answer, and the options.
#[derive(Debug, Clone)]
pub struct Begun {
    pub challenge: String,
    pub options: Value,
}

/// Longest passkey name, in characters.
pub const NAME_MAX_CHARS: usize = 64;

/// The relying party for these settings, or [`Refusal::Unavailable`].
pub fn relying_party(settings: &Settings) -> Result<RelyingParty, Refusal> {
    RelyingParty::for_issuer(&settings.issuer).map_err(|_| Refusal::Unavailable)
}

/// Whether passkeys can work with this issuer at all (the pages hide them otherwise).
pub fn available(settings: &Settings) -> bool {
    crate::crypto::passkey::relying_party_of(&settings.issuer).is_ok()
}

/// A passkey name as typed: trimmed, 1 to [`NAME_MAX_CHARS`] characters, no control
/// characters and no bidi overrides (it is shown on pages and printed by `user show`).
pub fn parse_name(typed: &str) -> Result<String, Refusal> {
    let name = typed.trim();
    let bad = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    let ok = !name.is_empty() && name.chars().count() <= NAME_MAX_CHARS && !name.chars().any(bad);
    ok.then(|| name.to_owned()).ok_or(Refusal::BadName)
}

/// A passkey is an account's last way in when the account has no usable password and no other
/// passkey: removing it would lock the user out for good. (An authenticator app is never a
/// way in alone: it comes after a password.)
pub fn is_last_way_in(has_password: bool, passkeys: i64) -> bool {
    !has_password && passkeys <= 1
}

/// Whether a stored password hash can ever match (an account created without one has none).
pub fn has_usable_password(password_hash: &str) -> bool {
    password_hash.starts_with("$argon2")
}

/// Keep `state` for the finish: a new random handle (stored hashed), or
/// [`Refusal::TooMany`] when `source` holds `settings.pending_requests_per_address` already.
#[allow(clippy::too_many_arguments)]
fn keep(
    c: &Tx<'_>,
    settings: &Settings,
    kind: ChallengeKind,
    (user_id, session_id): (Option<i64>, Option<i64>),
    name: Option<String>,
    state: String,
    source: &str,
    now: i64,
) -> Result<Result<String, Refusal>, StoreError> {
    if passkeys::count_challenges_from(c, source, now)? >= settings.pending_requests_per_address {
        return Ok(Err(Refusal::TooMany));
    }
    let handle = random::token();
    passkeys::insert_challenge(
        c,
        &random::hash_token(&handle),
        &Challenge {
            kind,
            user_id,
            session_id,
            name,
            state,
            source: source.to_owned(),
            expires_at: now + CEREMONY_SECS,
        },
    )?;
    Ok(Ok(handle))
}

/// Take the ceremony `handle` out of the store: `None` unless it is live and of `kind`.
fn take(
    c: &Tx<'_>,
    handle: &str,
    kind: ChallengeKind,
    now: i64,
) -> Result<Option<Challenge>, StoreError> {
    if handle.len() != 43 {
        return Ok(None);
    }
    Ok(
        passkeys::consume_challenge(c, &random::hash_token(handle), now)?
            .filter(|ch| ch.kind == kind),
    )
}

/// webauthn-rs's verdict as a refusal; corrupt stored data is a store error (the operator's
/// problem, not the browser's).
fn refusal(e: PasskeyError) -> Result<Refusal, StoreError> {
    match e {
        PasskeyError::Impossible(_) => Ok(Refusal::Unavailable),
        PasskeyError::Malformed(m) => Ok(Refusal::Malformed(m)),
        PasskeyError::Rejected(_) => Ok(Refusal::Rejected),
        PasskeyError::Corrupt(m) => Err(StoreError::Corrupt(m)),
    }
}

/// An audit event about passkeys.
fn audit_event(
    c: &Tx<'_>,
    kind: &str,
    user: Option<&crate::store::users::User>,
    ip: Option<&str>,
    detail: Value,
    now: i64,
) -> Result<(), StoreError> {
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: kind.into(),
            actor: user.map(|u| u.username.clone()),
            subject: user.map(|u| u.subject.clone()),
            ip: ip.map(str::to_owned),
            detail: Some(detail.to_string()),
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkey_names_are_trimmed_printable_and_short() {
        assert_eq!(parse_name("  Laptop  "), Ok("Laptop".to_owned()));
        assert_eq!(parse_name("Téléphone 📱"), Ok("Téléphone 📱".to_owned()));
        assert_eq!(parse_name("   "), Err(Refusal::BadName));
        assert_eq!(parse_name("a\nb"), Err(Refusal::BadName));
        assert_eq!(parse_name("evil\u{202e}txt"), Err(Refusal::BadName));
        assert_eq!(parse_name(&"x".repeat(65)), Err(Refusal::BadName));
        assert!(parse_name(&"é".repeat(64)).is_ok());
    }

    #[test]
    fn only_the_only_passkey_of_an_account_without_a_password_is_its_last_way_in() {
        assert!(is_last_way_in(false, 1));
        assert!(!is_last_way_in(false, 2));
        assert!(!is_last_way_in(true, 1));
        assert!(has_usable_password(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
        ));
        assert!(!has_usable_password(""));
        assert!(!has_usable_password("!"));
    }
}
