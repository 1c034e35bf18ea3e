//! Using the one-time links: accepting an invite (a password, or a passkey alone), setting a
//! new password from a reset link, verifying a new email address; and what makes the links a
//! person asks for themselves ("Forgot password?", a new address on the account page).
//! Making invites and reset links as an admin is `admin::onboarding`.
//!
//! A link is taken once (`links::consume_link`) in the transaction of what it does, so two
//! uses at once cannot both succeed. A link of a disabled user does not work.

use crate::config::Settings;
use crate::crypto::random;
use crate::crypto::secret_key::SecretKey;
use crate::domain::{Email, Method, Methods, Username};
use crate::oidc::admin::onboarding;
use crate::oidc::interaction::Visit;
use crate::oidc::interaction::sign_in::{self, How, SignedIn};
use crate::oidc::login::{self, ClientInfo};
use crate::oidc::mail::{self, MailKind, MailParams};
use crate::oidc::passkeys::{Begun, Refusal, enrol};
use crate::oidc::session_end;
use crate::store::links::{self, Link, LinkKind, NewLink, Unusable};
use crate::store::users::{self, User};
use crate::store::{StoreError, Tx, audit, clients, refresh};
use serde_json::{Value, json};

pub use crate::store::links::Unusable as LinkRefusal;

/// A usable link and its user.
#[derive(Debug, Clone)]
pub struct Opened {
    pub link: Link,
    pub user: User,
}

type Used<T> = Result<Result<T, Unusable>, StoreError>;

/// The link behind `token`, when it is of `kind` and can be used now (nothing is changed).
pub fn open(c: &Tx<'_>, token: &str, kind: LinkKind, now: i64) -> Used<Opened> {
    if token.len() != 43 {
        return Ok(Err(Unusable::Unknown));
    }
    let found = links::find_link(c, &random::hash_token(token))?;
    let link = match links::check_usable(found, kind, now) {
        Ok(l) => l,
        Err(u) => return Ok(Err(u)),
    };
    let user = users::get_user(c, link.user_id)?;
    if user.disabled {
        return Ok(Err(Unusable::Unknown));
    }
    Ok(Ok(Opened { link, user }))
}

/// [`open`], and mark the link used.
fn take(c: &Tx<'_>, token: &str, kind: LinkKind, now: i64) -> Used<Opened> {
    let opened = match open(c, token, kind, now)? {
        Ok(o) => o,
        Err(u) => return Ok(Err(u)),
    };
    if !links::consume_link(c, &random::hash_token(token), kind, now)? {
        return Ok(Err(Unusable::Used));
    }
    Ok(Ok(opened))
}

/// Where an invited person goes after accepting: the app they were invited to (its name and
/// the origin of its first redirect URI), or their account page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub app_name: Option<String>,
    pub url: String,
}

/// The destination for an invite to `client_id` (None or a vanished app: the account page).
pub fn destination(c: &Tx<'_>, client_id: Option<&str>) -> Result<Destination, StoreError> {
    let account = Destination {
        app_name: None,
        url: "/account".to_owned(),
    };
    let Some(id) = client_id else {
        return Ok(account);
    };
    let Some(client) = clients::find_client(c, id)? else {
        return Ok(account);
    };
    let origin = client
        .redirect_uris
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .find(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.origin().ascii_serialization());
    Ok(match origin {
        Some(url) => Destination {
            app_name: Some(client.name),
            url,
        },
        None => account,
    })
}

/// An accepted invite: the new session, and the app it was for.
#[derive(Debug)]
pub struct Accepted {
    pub signed_in: SignedIn,
    pub client_id: Option<String>,
}

/// The browser accepting an invite: its cookies and where it is.
#[derive(Debug, Clone)]
pub struct Browser {
    pub session_cookie: Option<String>,
    pub browser_cookie: Option<String>,
    pub info: ClientInfo,
}

/// The invited person chose a password (hashed by the caller, policy checked): the link is
/// used, the password set, the email verified, and the browser signed in as by `/login`.
pub fn accept_invite_with_password(
    c: &Tx<'_>,
    settings: &Settings,
    token: &str,
    password_hash: &str,
    browser: &Browser,
    now: i64,
) -> Used<Accepted> {
    let Opened { link, user } = match take(c, token, LinkKind::Invite, now)? {
        Ok(o) => o,
        Err(u) => return Ok(Err(u)),
    };
    users::update_user_password(c, user.id, password_hash, now)?;
    let how = How {
        methods: Methods::of(&[Method::Pwd]),
        detail: None,
    };
    accepted(c, settings, &user, &link, &how, browser, "password", now).map(Ok)
}

/// Begin registering a passkey from an invite page (the link stays unused until the finish).
pub fn invite_passkey_begin(
    c: &Tx<'_>,
    settings: &Settings,
    token: &str,
    name: &str,
    visit: &Visit,
) -> Result<Result<Begun, Refusal>, StoreError> {
    let Opened { user, .. } = match open(c, token, LinkKind::Invite, visit.now)? {
        Ok(o) => o,
        Err(_) => return Ok(Err(Refusal::LinkGone)),
    };
    let name = if name.trim().is_empty() {
        "Passkey"
    } else {
        name
    };
    enrol::begin_for(c, settings, &user, None, name, visit)
}

/// Finish registering the passkey: the link is used, the passkey stored, the email verified,
/// and the browser signed in with the passkey (as a passkey sign-in does: `phr`).
pub fn invite_passkey_finish(
    c: &Tx<'_>,
    settings: &Settings,
    token: &str,
    challenge: &str,
    response: &Value,
    browser: &Browser,
    now: i64,
) -> Result<Result<Accepted, Refusal>, StoreError> {
    let Some(ch) = enrol::take_registration(c, challenge, now)? else {
        return Ok(Err(Refusal::Expired));
    };
    let Opened { user, .. } = match open(c, token, LinkKind::Invite, now)? {
        Ok(o) => o,
        Err(_) => return Ok(Err(Refusal::LinkGone)),
    };
    let v = match enrol::verify_registration(settings, ch, response, (user.id, None))? {
        Ok(v) => v,
        Err(r) => return Ok(Err(r)),
    };
    let Opened { link, user } = match take(c, token, LinkKind::Invite, now)? {
        Ok(o) => o,
        Err(_) => return Ok(Err(Refusal::LinkGone)),
    };
    let ip = browser.info.ip.as_deref();
    if let Err(r) = enrol::store_registration(c, settings, &user, &v, ip, now)? {
        return Ok(Err(r));
    }
    let how = How {
        methods: Methods::of(&v.methods()),
        detail: Some(json!({"method": "passkey", "name": v.name}).to_string()),
    };
    accepted(c, settings, &user, &link, &how, browser, "passkey", now).map(Ok)
}

/// After an invite's password or passkey: the email verified, audited, signed in.
#[allow(clippy::too_many_arguments)]
fn accepted(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    link: &Link,
    how: &How,
    browser: &Browser,
    method: &str,
    now: i64,
) -> Result<Accepted, StoreError> {
    users::update_user_email(c, user.id, &user.email, true, now)?;
    audit_user(
        c,
        "user.invite_accepted",
        user,
        &browser.info,
        json!({"method": method}),
        now,
    )?;
    let user = users::get_user(c, user.id)?;
    let signed_in = sign_in::succeeded_with(
        c,
        settings,
        &user,
        how,
        (
            browser.session_cookie.as_deref(),
            browser.browser_cookie.as_deref(),
        ),
        None,
        &browser.info,
        now,
    )?;
    Ok(Accepted {
        signed_in,
        client_id: link.client_id.clone(),
    })
}

/// A new password from a reset link (hashed by the caller, policy checked): every session and
/// refresh token of the user ends; they sign in as usual afterwards (second factor included).
pub fn reset_password(
    c: &Tx<'_>,
    settings: &Settings,
    token: &str,
    password_hash: &str,
    info: &ClientInfo,
    now: i64,
) -> Used<User> {
    let Opened { user, .. } = match take(c, token, LinkKind::Reset, now)? {
        Ok(o) => o,
        Err(u) => return Ok(Err(u)),
    };
    users::update_user_password(c, user.id, password_hash, now)?;
    session_end::end_user_sessions(c, &user, "password_reset", now)?;
    refresh::revoke_user_refresh_tokens(c, user.id, now)?;
    audit_user(c, "user.password_reset", &user, info, json!({}), now)?;
    password_notice(c, settings, &user, info, now)?;
    Ok(Ok(user))
}

/// The "password changed" notice mail.
pub fn password_notice(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    info: &ClientInfo,
    now: i64,
) -> Result<(), StoreError> {
    let params = MailParams {
        ip: info.ip.clone(),
        device: info.user_agent.clone(),
        ..MailParams::for_user(user, now)
    };
    mail::queue_notice(c, settings, user, MailKind::PasswordChanged, &params)?;
    Ok(())
}

/// Most users one "Forgot password?" by email address may match (a shared address).
const SAME_EMAIL_MAX: i64 = 5;

/// "Forgot password?": when `typed` names an enabled account (by username, or else by email
/// address), a reset link is mailed to its address. The answer is the same either way; the
/// caller throttles per client address and per typed name first.
pub fn forgot_password(
    c: &Tx<'_>,
    settings: &Settings,
    key: &SecretKey,
    typed: &str,
    info: &ClientInfo,
    now: i64,
) -> Result<(), StoreError> {
    let typed = typed.trim();
    let mut found = match Username::parse(typed) {
        Ok(name) => users::find_user_by_username(c, name.as_str())?
            .into_iter()
            .collect(),
        Err(_) => Vec::new(),
    };
    if found.is_empty() && Email::parse(typed).is_ok() {
        found = users::find_users_by_email(c, typed, SAME_EMAIL_MAX)?;
    }
    let found: Vec<User> = found.into_iter().filter(|u| !u.disabled).collect();
    if found.is_empty() {
        audit::insert_audit_event(
            c,
            &audit::AuditEvent {
                at: now,
                kind: "user.reset_requested".into(),
                actor: Some(login::audit_name(typed)),
                ip: info.ip.clone(),
                detail: Some(json!({"found": false}).to_string()),
                ..Default::default()
            },
        )?;
        return Ok(());
    }
    for user in found {
        let link = onboarding::make_reset_link(c, settings, key, now, &user, true)?;
        let detail = json!({"found": true, "emailed": link.emailed});
        audit_user(c, "user.reset_requested", &user, info, detail, now)?;
    }
    Ok(())
}

/// What changing one's email address did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailChange {
    /// Changed; a verification link went to the new address (and a notice to the old one).
    Mailed,
    /// Changed, unverified (no mail is configured to verify it).
    Unverified,
}

/// The user's own new email address (on the account page, after a fresh sign-in): set at once
/// and unverified; with mail, a verification link goes to it and a notice to the old address.
/// Err: the address is not valid, or the same.
pub fn change_email(
    c: &Tx<'_>,
    settings: &Settings,
    key: &SecretKey,
    user: &User,
    typed: &str,
    info: &ClientInfo,
    now: i64,
) -> Result<Result<EmailChange, String>, StoreError> {
    let email = match Email::parse(typed.trim()) {
        Ok(e) => e,
        Err(e) => return Ok(Err(e.0)),
    };
    if email.as_str().eq_ignore_ascii_case(&user.email) {
        return Ok(Err("that is your address already".into()));
    }
    let old = user.email.clone();
    users::update_user_email(c, user.id, email.as_str(), false, now)?;
    let detail = json!({"verification_mailed": mail::enabled(settings)});
    audit_user(c, "user.email_changed", user, info, detail, now)?;
    if !mail::enabled(settings) {
        return Ok(Ok(EmailChange::Unverified));
    }
    let expires_at = now + settings.reset_ttl_secs;
    let token = random::token();
    links::insert_link(
        c,
        &NewLink {
            token_hash: &random::hash_token(&token),
            kind: LinkKind::VerifyEmail,
            user_id: user.id,
            client_id: None,
            email: Some(email.as_str()),
            expires_at,
        },
        now,
    )?;
    let url = settings.endpoint(&format!("/verify-email/{token}"));
    let params = MailParams {
        expires_at: Some(expires_at),
        ..MailParams::for_user(user, now)
    };
    let to = email.as_str();
    mail::queue_link(c, settings, key, MailKind::VerifyEmail, to, &url, &params)?;
    let notice = MailParams {
        new_email: Some(to.to_owned()),
        ip: info.ip.clone(),
        device: info.user_agent.clone(),
        ..MailParams::for_user(user, now)
    };
    mail::queue_notice_to(c, settings, user, &old, MailKind::EmailChanged, &notice)?;
    Ok(Ok(EmailChange::Mailed))
}

/// A verification link used: the address it was sent to is verified, if it is still the
/// user's address (else the link is of no use: `Unknown`).
pub fn verify_email(c: &Tx<'_>, token: &str, info: &ClientInfo, now: i64) -> Used<User> {
    let Opened { link, user } = match take(c, token, LinkKind::VerifyEmail, now)? {
        Ok(o) => o,
        Err(u) => return Ok(Err(u)),
    };
    let Some(email) = link.email.filter(|e| e.eq_ignore_ascii_case(&user.email)) else {
        return Ok(Err(Unusable::Unknown));
    };
    users::update_user_email(c, user.id, &email, true, now)?;
    audit_user(c, "user.email_verified", &user, info, json!({}), now)?;
    Ok(Ok(users::get_user(c, user.id)?))
}

/// Turn the user's notice mails on or off (the account page).
pub fn set_security_notices(
    c: &Tx<'_>,
    user: &User,
    on: bool,
    info: &ClientInfo,
    now: i64,
) -> Result<(), StoreError> {
    users::update_security_notices(c, user.id, on, now)?;
    audit_user(
        c,
        "user.notices_changed",
        user,
        info,
        json!({"on": on}),
        now,
    )
}

fn audit_user(
    c: &Tx<'_>,
    kind: &str,
    user: &User,
    info: &ClientInfo,
    detail: Value,
    now: i64,
) -> Result<(), StoreError> {
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: kind.into(),
            actor: Some(user.username.clone()),
            subject: Some(user.subject.clone()),
            ip: info.ip.clone(),
            detail: Some(detail.to_string()),
            ..Default::default()
        },
    )
}
