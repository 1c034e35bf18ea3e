//! Second factors: who must use one (the policy), what a user has set up, and the levels a
//! session reaches with them (`domain::Acr`).
//!
//! The policy has three sources, and the strongest wins:
//! - the user's own floor ([`user_floor`]): two factors for anyone who has set one up, and for
//!   everyone `mfa_required` names (`admins`, `all`). A session below its user's floor is not
//!   signed in yet (`login::current_session` does not return it): every way in — authorize,
//!   consent, the device page, the account page — sends it to the second-factor page first;
//! - the app: `--require-mfa` clients need two factors (`authorize::step_up_needed`);
//! - the request: `acr_values` and an essential `acr` claim step the session up to the lowest
//!   level listed when it meets none (`domain::step_up_to`).
//!
//! Passkeys (WebAuthn, `oidc::passkeys`) have a table of their own; [`Enrolled`] counts them
//! and [`user_floor`] treats them like any second factor: a user with a passkey signs in with
//! it alone, or with a password and then the passkey (or their authenticator app).

pub mod recovery;
pub mod totp;

use crate::config::Settings;
use crate::domain::Acr;
use crate::store::users::User;
use crate::store::{StoreError, Tx, audit as audit_log, passkeys, second_factors};

/// Record a second-factor event (`mfa.*`) about `user`.
pub fn audit(
    c: &Tx<'_>,
    kind: &str,
    user: &User,
    ip: Option<&str>,
    detail: Option<String>,
    now: i64,
) -> Result<(), StoreError> {
    audit_log::insert_audit_event(
        c,
        &audit_log::AuditEvent {
            at: now,
            kind: kind.into(),
            actor: Some(user.username.clone()),
            subject: Some(user.subject.clone()),
            ip: ip.map(str::to_owned),
            detail,
            ..Default::default()
        },
    )
}

/// What a user has set up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrolled {
    /// When the authenticator app was set up, if it is.
    pub totp_since: Option<i64>,
    /// Unused recovery codes, of `recovery_total`.
    pub recovery_left: i64,
    pub recovery_total: i64,
    /// When a recovery code was last used.
    pub recovery_used_at: Option<i64>,
    /// Passkeys registered.
    pub passkeys: i64,
}

impl Enrolled {
    /// Whether anything can serve as a second factor.
    pub fn any(&self) -> bool {
        self.totp_since.is_some() || self.passkeys > 0
    }
}

pub fn enrolled(c: &Tx<'_>, user_id: i64) -> Result<Enrolled, StoreError> {
    let totp = second_factors::find_totp(c, user_id)?;
    let (left, total, used) = second_factors::recovery_code_counts(c, user_id)?;
    Ok(Enrolled {
        totp_since: totp.map(|t| t.created_at),
        recovery_left: left,
        recovery_total: total,
        recovery_used_at: used,
        passkeys: passkeys::count_user_passkeys(c, user_id)?,
    })
}

/// Whether `mfa_required` names this user.
pub fn policy_requires(settings: &Settings, user: &User) -> bool {
    settings.mfa_required.applies_to(user.is_admin)
}

/// The level every sign-in of `user` must reach, whatever the app: two factors when they have
/// one set up or the policy names them, else one.
pub fn user_floor(c: &Tx<'_>, settings: &Settings, user: &User) -> Result<Acr, StoreError> {
    if policy_requires(settings, user) || second_factors::has_second_factor_or_passkey(c, user.id)?
    {
        Ok(Acr::Mfa)
    } else {
        Ok(Acr::Pwd)
    }
}

/// Remove every second factor, recovery code and passkey of the user (`latchkey user
/// reset-mfa`); returns what they had.
pub fn reset_all(c: &Tx<'_>, user: &User) -> Result<Enrolled, StoreError> {
    let before = enrolled(c, user.id)?;
    second_factors::delete_all(c, user.id)?;
    passkeys::delete_all_for_user(c, user.id)?;
    Ok(before)
}
