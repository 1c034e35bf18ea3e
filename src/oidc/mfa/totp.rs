//! Authenticator apps (TOTP): setting one up, checking its codes (each accepted once), and
//! removing it.
//!
//! Setting up needs no row until it is confirmed: the page carries the new seed sealed for this
//! user with an expiry (`totp-enrol`), and the code typed proves the app has it. The stored
//! seed is sealed too (`totp-seed`, owner: the user id), so the database alone reveals no seed.

use crate::config::Settings;
use crate::crypto::secret_key::SecretKey;
use crate::crypto::totp as code;
use crate::oidc::mail::{MailKind, MailParams};
use crate::store::users::User;
use crate::store::{StoreError, Tx, second_factors};

/// How long a setup page stays good.
pub const ENROL_TTL_SECS: i64 = 900;
const SEED: &str = "totp-seed";
const ENROL: &str = "totp-enrol";

/// A setup in progress: what the page shows, and the sealed seed its form sends back.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The seed in base32, for typing into an app by hand.
    pub secret: String,
    /// `otpauth://totp/...`, for the QR code and a link.
    pub uri: String,
    /// The seed sealed for this user, with its expiry.
    pub token: String,
}

/// What authenticator apps show as the account's issuer: the issuer's host (and port).
fn issuer_label(settings: &Settings) -> String {
    url::Url::parse(&settings.issuer)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            })
        })
        .unwrap_or_else(|| "latchkey".to_owned())
}

fn enrolment(settings: &Settings, user: &User, seed: &[u8], token: String) -> Enrolment {
    Enrolment {
        secret: code::base32(seed),
        uri: code::otpauth_uri(&issuer_label(settings), &user.username, seed),
        token,
    }
}

/// A new seed for `user`, good for [`ENROL_TTL_SECS`].
pub fn start(key: &SecretKey, settings: &Settings, user: &User, now: i64) -> Enrolment {
    let seed = code::new_seed();
    let mut plain = seed.to_vec();
    plain.extend_from_slice(&(now + ENROL_TTL_SECS).to_be_bytes());
    let token = key.seal_text(ENROL, &user.id.to_string(), &plain);
    enrolment(settings, user, &seed, token)
}

/// The seed of a setup page, while it is good.
fn open_enrolment(key: &SecretKey, user: &User, token: &str, now: i64) -> Option<Vec<u8>> {
    let plain = key.open_text(ENROL, &user.id.to_string(), token).ok()?;
    if plain.len() != code::SEED_LEN + 8 {
        return None;
    }
    let (seed, expiry) = plain.split_at(code::SEED_LEN);
    let expires = i64::from_be_bytes(expiry.try_into().ok()?);
    (now < expires).then(|| seed.to_vec())
}

/// The same setup again (after a wrong code), while it is good.
pub fn resume(
    key: &SecretKey,
    settings: &Settings,
    user: &User,
    token: &str,
    now: i64,
) -> Option<Enrolment> {
    let seed = open_enrolment(key, user, token, now)?;
    Some(enrolment(settings, user, &seed, token.to_owned()))
}

/// How confirming a setup went.
#[derive(Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// Set up; the new recovery codes, to show once.
    Done {
        recovery_codes: Vec<String>,
    },
    WrongCode,
    /// The page is too old (or not this user's): start again.
    Expired,
    /// The user has an authenticator app already (set up in another tab, say).
    AlreadySetUp,
}

/// Confirm a setup with a current code: the app is stored (its code's step already used) and
/// new recovery codes are made.
pub fn confirm(
    c: &Tx<'_>,
    settings: &Settings,
    key: &SecretKey,
    user: &User,
    token: &str,
    typed: &str,
    now: i64,
) -> Result<Confirmed, StoreError> {
    let Some(seed) = open_enrolment(key, user, token, now) else {
        return Ok(Confirmed::Expired);
    };
    let Some(step) = code::check(&seed, typed, now) else {
        return Ok(Confirmed::WrongCode);
    };
    if second_factors::find_totp(c, user.id)?.is_some() {
        return Ok(Confirmed::AlreadySetUp);
    }
    let sealed = key.seal(SEED, &user.id.to_string(), &seed);
    second_factors::insert_totp(c, user.id, &sealed, step, now)?;
    super::audit(c, "mfa.totp_enrolled", user, None, None, now)?;
    notice(c, settings, user, MailKind::FactorAdded, now)?;
    let recovery_codes = super::recovery::generate(c, key, user, now)?;
    Ok(Confirmed::Done { recovery_codes })
}

/// How a code typed at sign-in went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// A current code of the user's authenticator app, not used before.
    App,
    /// One of the user's unused recovery codes (now used).
    RecoveryCode,
    /// Anything else: a wrong code, a code used before, no app set up.
    Wrong,
}

/// Check what was typed on the second-factor page: six digits are an app code (accepted once:
/// its step must be later than the last one accepted), anything else may be a recovery code.
pub fn verify(
    c: &Tx<'_>,
    key: &SecretKey,
    user: &User,
    typed: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<Checked, StoreError> {
    if code::normalize(typed).is_none() {
        return Ok(
            if super::recovery::use_code(c, key, user, typed, ip, now)? {
                Checked::RecoveryCode
            } else {
                Checked::Wrong
            },
        );
    }
    let Some(app) = second_factors::find_totp(c, user.id)? else {
        return Ok(Checked::Wrong);
    };
    let seed = match key.open(SEED, &user.id.to_string(), &app.sealed_seed) {
        Ok(s) => s,
        Err(_) => {
            tracing::error!(
                user = %user.username,
                "an authenticator-app seed does not open with secret_key_file: was the key file replaced? restore it, or `latchkey user reset-mfa`"
            );
            return Ok(Checked::Wrong);
        }
    };
    let Some(step) = code::check(&seed, typed, now) else {
        return Ok(Checked::Wrong);
    };
    if second_factors::use_totp_step(c, app.id, step, now)? {
        Ok(Checked::App)
    } else {
        Ok(Checked::Wrong)
    }
}

/// Why an authenticator app was not removed.
#[derive(Debug, PartialEq, Eq)]
pub enum Removed {
    Done,
    /// There was none.
    NotSetUp,
    /// `mfa_required` names this user and it is their last second factor.
    Required,
}

/// Remove the user's authenticator app and their recovery codes — unless the policy requires a
/// second factor of them and this is the last one.
pub fn remove(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    now: i64,
) -> Result<Removed, StoreError> {
    let enrolled = super::enrolled(c, user.id)?;
    if enrolled.totp_since.is_none() {
        return Ok(Removed::NotSetUp);
    }
    if super::policy_requires(settings, user) && enrolled.passkeys == 0 {
        return Ok(Removed::Required);
    }
    second_factors::delete_totp(c, user.id)?;
    second_factors::delete_recovery_codes(c, user.id)?;
    super::audit(c, "mfa.totp_removed", user, None, None, now)?;
    notice(c, settings, user, MailKind::FactorRemoved, now)?;
    Ok(Removed::Done)
}

/// A notice mail about the user's authenticator app.
fn notice(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    kind: MailKind,
    now: i64,
) -> Result<(), StoreError> {
    let params = MailParams {
        what: Some("an authenticator app (two-factor sign-in)".into()),
        ..MailParams::for_user(user, now)
    };
    crate::oidc::mail::queue_notice(c, settings, user, kind, &params)?;
    Ok(())
}
