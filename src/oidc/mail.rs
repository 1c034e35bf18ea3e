//! Mail to users, queued in the transaction of the change it tells about and sent in the
//! background (`crate::mailer`): the one-time links (invite, password reset, email
//! verification) and notices after sensitive changes. Nothing is queued unless `smtp_url` is
//! set; notices only go to users who did not turn them off on the account page.
//!
//! A queued row holds the template's values (no secret) and, for a link mail, the link sealed
//! with `secret_key_file`: a copy of the database alone holds no usable link.

use crate::config::Settings;
use crate::crypto::secret_key::SecretKey;
use crate::store::mail_queue::{self, NewMail};
use crate::store::users::User;
use crate::store::{StoreError, Tx};
use serde::{Deserialize, Serialize};

/// What a mail is about; each has a subject and one of the two templates (link or notice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Invite,
    Reset,
    VerifyEmail,
    /// To the old address, after the email address changed.
    EmailChanged,
    PasswordChanged,
    FactorAdded,
    FactorRemoved,
    /// A sign-in from a browser the user has not used before.
    NewSignIn,
}

pub const KINDS: [MailKind; 8] = [
    MailKind::Invite,
    MailKind::Reset,
    MailKind::VerifyEmail,
    MailKind::EmailChanged,
    MailKind::PasswordChanged,
    MailKind::FactorAdded,
    MailKind::FactorRemoved,
    MailKind::NewSignIn,
];

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Invite => "invite",
            MailKind::Reset => "reset",
            MailKind::VerifyEmail => "verify_email",
            MailKind::EmailChanged => "email_changed",
            MailKind::PasswordChanged => "password_changed",
            MailKind::FactorAdded => "factor_added",
            MailKind::FactorRemoved => "factor_removed",
            MailKind::NewSignIn => "new_sign_in",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        KINDS.into_iter().find(|k| k.as_str() == s)
    }

    /// A mail with a one-time link (the rest are notices).
    pub fn has_link(self) -> bool {
        matches!(
            self,
            MailKind::Invite | MailKind::Reset | MailKind::VerifyEmail
        )
    }
}

/// The values the templates show. Texts are plain; the templates escape them for HTML.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct MailParams {
    pub username: String,
    pub name: Option<String>,
    /// When the change happened (notices) or the mail was queued.
    pub at: i64,
    /// When the link stops working.
    pub expires_at: Option<i64>,
    /// The app an invite is for.
    pub app: Option<String>,
    /// What changed, in words ("the passkey “Laptop”").
    pub what: Option<String>,
    /// Where a sign-in or change came from.
    pub ip: Option<String>,
    pub device: Option<String>,
    /// The new address (the notice to the old one).
    pub new_email: Option<String>,
}

impl MailParams {
    pub fn for_user(user: &User, now: i64) -> Self {
        Self {
            username: user.username.clone(),
            name: user.name.clone(),
            at: now,
            ..Default::default()
        }
    }
}

/// Whether mail is configured at all.
pub fn enabled(settings: &Settings) -> bool {
    settings.smtp.is_some()
}

const LINK_PURPOSE: &str = "mail-link";

/// Queue a mail carrying the one-time `url` to `to`. False (nothing queued) without mail.
pub fn queue_link(
    c: &Tx<'_>,
    settings: &Settings,
    key: &SecretKey,
    kind: MailKind,
    to: &str,
    url: &str,
    params: &MailParams,
) -> Result<bool, StoreError> {
    if !enabled(settings) {
        return Ok(false);
    }
    let sealed = key.seal_text(LINK_PURPOSE, to, url.as_bytes());
    insert(c, kind, to, params, Some(&sealed))?;
    Ok(true)
}

/// Queue a notice to the user's address, unless mail is off or they turned notices off.
pub fn queue_notice(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    kind: MailKind,
    params: &MailParams,
) -> Result<bool, StoreError> {
    if !enabled(settings) || !user.security_notices {
        return Ok(false);
    }
    insert(c, kind, &user.email, params, None)?;
    Ok(true)
}

/// Queue a notice to an address other than the user's own (the old one, after a change).
pub fn queue_notice_to(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    to: &str,
    kind: MailKind,
    params: &MailParams,
) -> Result<bool, StoreError> {
    if !enabled(settings) || !user.security_notices {
        return Ok(false);
    }
    insert(c, kind, to, params, None)?;
    Ok(true)
}

fn insert(
    c: &Tx<'_>,
    kind: MailKind,
    to: &str,
    params: &MailParams,
    link: Option<&str>,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(params).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    mail_queue::insert_mail(
        c,
        &NewMail {
            kind: kind.as_str(),
            recipient: to,
            params: &json,
            link,
        },
        params.at,
    )?;
    Ok(())
}

/// The link of a queued mail, unsealed (None for a notice). Err: it does not open with this key.
pub fn open_link(key: &SecretKey, mail: &mail_queue::QueuedMail) -> Result<Option<String>, String> {
    let Some(sealed) = &mail.link else {
        return Ok(None);
    };
    let bytes = key
        .open_text(LINK_PURPOSE, &mail.recipient, sealed)
        .map_err(|_| "the link does not open with secret_key_file (was the key replaced?)")?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| "the link is not text".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_and_only_invites_resets_and_verifications_carry_links() {
        for k in KINDS {
            assert_eq!(MailKind::parse(k.as_str()), Some(k));
        }
        let links: Vec<_> = KINDS.into_iter().filter(|k| k.has_link()).collect();
        assert_eq!(
            links,
            [MailKind::Invite, MailKind::Reset, MailKind::VerifyEmail]
        );
    }
}
