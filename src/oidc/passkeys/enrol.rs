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
use crate::store::passkeys::{self, ChallengeKind, NewPasskey, Passkey};
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
    let rp = match relying_party(settings) {
        Ok(rp) => rp,
        Err(r) => return Ok(Err(r)),
    };
    let b = match fresh_browser(c, settings, visit)? {
        Ok(b) => b,
        Err(r) => return Ok(Err(r)),
    };
    let name = match super::parse_name(name) {
        Ok(n) => n,
        Err(r) => return Ok(Err(r)),
    };
    let handle = passkeys::user_handle(c, b.user.id, &passkey::new_user_handle())?;
    let existing: Vec<String> = passkeys::list_user_passkeys(c, b.user.id)?
        .into_iter()
        .map(|p| p.credential)
        .collect();
    let display = b.user.name.as_deref().unwrap_or(&b.user.username);
    let (options, state) =
        match rp.begin_registration(&handle, &b.user.username, display, &existing) {
            Ok(x) => x,
            Err(e) => return Ok(Err(refusal(e)?)),
        };
    let ids = (Some(b.user.id), Some(b.session.id));
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
    let rp = match relying_party(settings) {
        Ok(rp) => rp,
        Err(r) => return Ok(Err(r)),
    };
    let Some(ch) = take(c, challenge, ChallengeKind::Register, visit.now)? else {
        return Ok(Err(Refusal::Expired));
    };
    let b = match fresh_browser(c, settings, visit)? {
        Ok(b) => b,
        Err(r) => return Ok(Err(r)),
    };
    if ch.session_id != Some(b.session.id) || ch.user_id != Some(b.user.id) {
        return Ok(Err(Refusal::NotSignedIn));
    }
    let added = match rp.finish_registration(response, &ch.state) {
        Ok(a) => a,
        Err(e) => return Ok(Err(refusal(e)?)),
    };
    let name = ch.name.unwrap_or_else(|| "Passkey".to_owned());
    let new = NewPasskey {
        user_id: b.user.id,
        credential_id: &added.credential_id,
        name: &name,
        credential: &added.credential,
        backup_eligible: added.backup_eligible,
    };
    match passkeys::insert_passkey(c, &new, visit.now) {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => return Ok(Err(Refusal::Taken)),
        Err(e) => return Err(e),
    }
    let detail = json!({"name": name, "backup_eligible": added.backup_eligible});
    audit_event(c, "passkey.added", Some(&b.user), ip, detail, visit.now)?;
    let key = if added.backup_eligible {
        Method::Swk
    } else {
        Method::Hwk
    };
    let session_secret = login::step_up_with(c, &b.session, &[key, Method::User], visit.now)?;
    Ok(Ok(Added {
        name,
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
    Ok(Ok(gone))
}
