//! Invites and password reset links: the one place they are made (the CLI's `user invite` and
//! `user reset-link`, and the admin user pages, call these). A link is a 256-bit token in the
//! URL, stored hashed, used once, audited; with `smtp_url` set it is also mailed (sealed in the
//! mail queue until sent). Using a link is `oidc::links`.

use super::users::{self as admin_users, NewUser};
use super::{Actor, AdminError, record};
use crate::config::Settings;
use crate::crypto::random;
use crate::crypto::secret_key::SecretKey;
use crate::oidc::mail::{self, MailKind, MailParams};
use crate::store::links::{self, LinkKind, NewLink};
use crate::store::users::{self, User};
use crate::store::{StoreError, Tx, audit, clients, groups};

/// A link made: the absolute URL to give the person, when it stops working, and whether it
/// was queued as mail too.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedLink {
    pub url: String,
    pub expires_at: i64,
    pub emailed: bool,
}

/// A person to invite.
#[derive(Debug)]
pub struct Invite {
    pub user: NewUser,
    /// Groups to put them in (each must exist).
    pub groups: Vec<String>,
    /// The app they are invited to (its client id): where the invite page sends them after.
    pub client: Option<String>,
    /// Mail the link when mail is configured (`--no-email` turns it off).
    pub send_mail: bool,
}

/// The password hash of an account made by an invite: no password matches it until the person
/// chooses one (`passkeys::has_usable_password` is false).
pub const NO_PASSWORD: &str = "";

/// Create the user without a password (email not verified yet) and a one-time invite link
/// valid `invite_ttl_secs`.
pub fn invite(
    c: &Tx<'_>,
    actor: &Actor,
    settings: &Settings,
    key: &SecretKey,
    now: i64,
    inv: &Invite,
) -> Result<(User, IssuedLink), AdminError> {
    let app = match &inv.client {
        Some(id) => Some(
            clients::find_client(c, id)?
                .ok_or_else(|| AdminError::Invalid(format!("there is no app {id:?}")))?,
        ),
        None => None,
    };
    let mut group_ids = Vec::new();
    for name in &inv.groups {
        let g = groups::find_group(c, name)?
            .ok_or_else(|| AdminError::Invalid(format!("there is no group {name:?}")))?;
        group_ids.push(g.id);
    }
    let new = NewUser {
        email_verified: false,
        ..inv.user.clone()
    };
    let user = admin_users::add(c, actor, now, &new, NO_PASSWORD)?;
    for gid in group_ids {
        groups::insert_member(c, gid, user.id, now)?;
    }
    let expires_at = now + settings.invite_ttl_secs;
    let token = random::token();
    links::insert_link(
        c,
        &NewLink {
            token_hash: &random::hash_token(&token),
            kind: LinkKind::Invite,
            user_id: user.id,
            client_id: app.as_ref().map(|a| a.client_id.as_str()),
            email: None,
            expires_at,
        },
        now,
    )?;
    let url = settings.endpoint(&format!("/invite/{token}"));
    let emailed = inv.send_mail && {
        let params = MailParams {
            expires_at: Some(expires_at),
            app: app.as_ref().map(|a| a.name.clone()),
            ..MailParams::for_user(&user, now)
        };
        mail::queue_link(
            c,
            settings,
            key,
            MailKind::Invite,
            &user.email,
            &url,
            &params,
        )?
    };
    let detail = serde_json::json!({
        "expires_at": expires_at,
        "emailed": emailed,
        "client_id": inv.client,
        "groups": inv.groups,
    });
    audit_link(c, actor, now, "user.invited", &user, detail)?;
    Ok((
        user,
        IssuedLink {
            url,
            expires_at,
            emailed,
        },
    ))
}

/// A one-time link to set a new password, valid `reset_ttl_secs`; an older unused one stops
/// working. Using it ends the user's sessions and refresh tokens (`links::reset_password`).
pub fn reset_link(
    c: &Tx<'_>,
    actor: &Actor,
    settings: &Settings,
    key: &SecretKey,
    now: i64,
    username: &str,
    send_mail: bool,
) -> Result<IssuedLink, AdminError> {
    let user = users::get_user_by_username(c, username)?;
    if user.disabled {
        return Err(AdminError::Invalid(format!(
            "{username:?} is disabled; enable the user first"
        )));
    }
    let link = make_reset_link(c, settings, key, now, &user, send_mail)?;
    let detail = serde_json::json!({ "expires_at": link.expires_at, "emailed": link.emailed });
    audit_link(c, actor, now, "user.reset_link", &user, detail)?;
    Ok(link)
}

/// The reset link itself (and its mail): shared with "Forgot password?", which audits apart.
pub fn make_reset_link(
    c: &Tx<'_>,
    settings: &Settings,
    key: &SecretKey,
    now: i64,
    user: &User,
    send_mail: bool,
) -> Result<IssuedLink, StoreError> {
    let expires_at = now + settings.reset_ttl_secs;
    let token = random::token();
    links::insert_link(
        c,
        &NewLink {
            token_hash: &random::hash_token(&token),
            kind: LinkKind::Reset,
            user_id: user.id,
            client_id: None,
            email: None,
            expires_at,
        },
        now,
    )?;
    let url = settings.endpoint(&format!("/reset/{token}"));
    let emailed = send_mail && {
        let params = MailParams {
            expires_at: Some(expires_at),
            ..MailParams::for_user(user, now)
        };
        mail::queue_link(
            c,
            settings,
            key,
            MailKind::Reset,
            &user.email,
            &url,
            &params,
        )?
    };
    Ok(IssuedLink {
        url,
        expires_at,
        emailed,
    })
}

fn audit_link(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    kind: &str,
    user: &User,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    record(
        c,
        actor,
        now,
        audit::AuditEvent {
            kind: kind.into(),
            subject: Some(user.username.clone()),
            detail: Some(detail.to_string()),
            ..Default::default()
        },
    )
}
