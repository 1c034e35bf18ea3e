//! Adding a passkey on the account page, and removing one. Both need a signed-in session that
//! signed in (or stepped up) within `reauth_secs` (`account::is_fresh`): an unattended browser
//! must not be enough to plant a passkey in someone's account.

use super::{Begun, Refusal, audit_event, keep, refusal, relying_party, take};
use crate::config::Settings;
use crate::crypto::passkey;
use crate::domain::Method;
use crate::oidc::account::is_fresh;
use crate::oidc::interaction::Visit;
use crate::oidc::login::{self, Browser};
use crate::oidc::mail::{self, MailKind, MailParams};
use crate::store::passkeys::{self, ChallengeKind, NewPasskey, Passkey};
use crate::store::users::User;
use crate::store::{StoreError, Tx};
use serde_json::{Value, json};

type Step<T> = Result<Result<T, Refusal>, StoreError>;

/// The signed-in (not half-way) session of this visit, fresh enough to change sign-in methods.
fn fresh_browser(c: &Tx<'_>, settings: &Settings, visit: &Visit) -> Step<Browser> {
    let Some(b) = visit.browser(c, settings)?.filter(Browser::complete) else {
        return Ok(Err(Refusal::NotSignedIn));
    };
    if !is_fresh(&b.session, settings, visit.now) {
        return Ok(Err(Refusal::NotFresh));
    }
    Ok(Ok(b))
}

/// Begin adding a passkey named `name` (as typed).
pub fn begin(c: &Tx<'_>, settings: &Settings, visit: &Visit, name: &str) -> Step<Begun> {
    if let Err(r) = relying_party(settings) {
        return Ok(Err(r));
    }
    let b = match fresh_browser(c, settings, visit)? {
        Ok(b) => b,
        Err(r) => return Ok(Err(r)),
    };
    begin_for(c, settings, &b.user, Some(b.session.id), name, visit)
}

/// Begin a registration for `user`, bound to `session_id` (the account page) or to no session
/// (an invite: the link names the user).
pub(crate) fn begin_for(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    session_id: Option<i64>,
    name: &str,
    visit: &Visit,
) -> Step<Begun> {
    let rp = match relying_party(settings) {
        Ok(rp) => rp,
        Err(r) => return Ok(Err(r)),
    };
    let name = match super::parse_name(name) {
        Ok(n) => n,
        Err(r) => return Ok(Err(r)),
    };
    let handle = passkeys::user_handle(c, user.id, &passkey::new_user_handle())?;
    let existing: Vec<String> = passkeys::list_user_passkeys(c, user.id)?
        .into_iter()
        .map(|p| p.credential)
        .collect();
    let display = user.name.as_deref().unwrap_or(&user.username);
    let (options, state) = match rp.begin_registration(&handle, &user.username, display, &existing)
    {
        Ok(x) => x,
        Err(e) => return Ok(Err(refusal(e)?)),
    };
    let ids = (Some(user.id), session_id);
    Ok(keep(
        c,
        settings,
        ChallengeKind::Register,
        ids,
        Some(name),
        state,
        &visit.source,
        visit.now,
    )?
    .map(|challenge| Begun { challenge, options }))
}

/// A registration checked by [`verify_registration`], not stored yet.
#[derive(Debug)]
pub(crate) struct Verified {
    pub name: String,
    pub credential: passkey::NewCredential,
}

impl Verified {
    /// The methods a session gets from having just registered it (with user verification).
    pub fn methods(&self) -> [Method; 2] {
        let key = if self.credential.backup_eligible {
            Method::Swk
        } else {
            Method::Hwk
        };
        [key, Method::User]
    }
}

/// Take the registration ceremony `challenge` out of the store (once): `None` unless live.
pub(crate) fn take_registration(
    c: &Tx<'_>,
    challenge: &str,
    now: i64,
) -> Result<Option<passkeys::Challenge>, StoreError> {
    take(c, challenge, ChallengeKind::Register, now)
}

/// Check the browser's answer to the ceremony `ch`, for `user_id` and the session the
/// ceremony was bound to (None: an invite). Nothing is stored yet.
pub(crate) fn verify_registration(
    settings: &Settings,
    ch: passkeys::Challenge,
    response: &Value,
    (user_id, session_id): (i64, Option<i64>),
) -> Step<Verified> {
    let rp = match relying_party(settings) {
        Ok(rp) => rp,
        Err(r) => return Ok(Err(r)),
    };
    if ch.session_id != session_id || ch.user_id != Some(user_id) {
        return Ok(Err(Refusal::NotSignedIn));
    }
    let credential = match rp.finish_registration(response, &ch.state) {
        Ok(a) => a,
        Err(e) => return Ok(Err(refusal(e)?)),
    };
    Ok(Ok(Verified {
        name: ch.name.unwrap_or_else(|| "Passkey".to_owned()),
        credential,
    }))
}

/// Store a verified passkey for `user` (audited `passkey.added`, and a notice mail).
pub(crate) fn store_registration(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    v: &Verified,
    ip: Option<&str>,
    now: i64,
) -> Step<()> {
    let new = NewPasskey {
        user_id: user.id,
        credential_id: &v.credential.credential_id,
        name: &v.name,
        credential: &v.credential.credential,
        backup_eligible: v.credential.backup_eligible,
    };
    match passkeys::insert_passkey(c, &new, now) {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => return Ok(Err(Refusal::Taken)),
        Err(e) => return Err(e),
    }
    let detail = json!({"name": v.name, "backup_eligible": v.credential.backup_eligible});
    audit_event(c, "passkey.added", Some(user), ip, detail, now)?;
    notice(c, settings, user, MailKind::FactorAdded, &v.name, ip, now)?;
    Ok(Ok(()))
}

/// A notice mail about a passkey of `user`.
fn notice(
    c: &Tx<'_>,
    settings: &Settings,
    user: &User,
    kind: MailKind,
    name: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let params = MailParams {
        what: Some(format!("the passkey “{name}”")),
        ip: ip.map(str::to_owned),
        ..MailParams::for_user(user, now)
    };
    mail::queue_notice(c, settings, user, kind, &params)?;
    Ok(())
}

/// A passkey added: its name, and the session's new cookie secret (see [`finish`]).
#[derive(Debug)]
pub struct Added {
    pub name: String,
    pub session_secret: Option<String>,
}

/// Finish adding a passkey: the browser's answer to the ceremony `challenge`, from the same
/// session that began it. The registration proved the authenticator and its user verification
/// just now, so the session steps up with it (`hwk`/`swk` + `user`): with a passkey the
/// account's floor is two factors, and the browser that added it stays signed in.
pub fn finish(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    challenge: &str,
    response: &Value,
    ip: Option<&str>,
) -> Step<Added> {
    if let Err(r) = relying_party(settings) {
        return Ok(Err(r));
    }
    let Some(ch) = take_registration(c, challenge, visit.now)? else {
        return Ok(Err(Refusal::Expired));
    };
    let b = match fresh_browser(c, settings, visit)? {
        Ok(b) => b,
        Err(r) => return Ok(Err(r)),
    };
    let ids = (b.user.id, Some(b.session.id));
    let v = match verify_registration(settings, ch, response, ids)? {
        Ok(v) => v,
        Err(r) => return Ok(Err(r)),
    };
    if let Err(r) = store_registration(c, settings, &b.user, &v, ip, visit.now)? {
        return Ok(Err(r));
    }
    let session_secret = login::step_up_with(c, &b.session, &v.methods(), visit.now)?;
    Ok(Ok(Added {
        name: v.name,
        session_secret,
    }))
}

/// Remove the user's passkey `id` (its row id, from the account page). Refused when it is the
/// account's last way in.
pub fn remove(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    id: i64,
    ip: Option<&str>,
) -> Step<Passkey> {
    let b = match fresh_browser(c, settings, visit)? {
        Ok(b) => b,
        Err(r) => return Ok(Err(r)),
    };
    let count = passkeys::count_user_passkeys(c, b.user.id)?;
    let has_password = super::has_usable_password(&b.user.password_hash);
    let mine = passkeys::list_user_passkeys(c, b.user.id)?
        .into_iter()
        .any(|p| p.id == id);
    if !mine {
        return Ok(Err(Refusal::Unknown));
    }
    if super::is_last_way_in(has_password, count) {
        return Ok(Err(Refusal::LastWayIn));
    }
    let Some(gone) = passkeys::delete_user_passkey(c, b.user.id, id)? else {
        return Ok(Err(Refusal::Unknown));
    };
    let detail = json!({"name": gone.name});
    audit_event(c, "passkey.removed", Some(&b.user), ip, detail, visit.now)?;
    notice(
        c,
        settings,
        &b.user,
        MailKind::FactorRemoved,
        &gone.name,
        ip,
        visit.now,
    )?;
    Ok(Ok(gone))
}
