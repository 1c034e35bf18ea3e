//! The device verification step (RFC 8628 §3.3): a signed-in person types the code a device
//! shows, sees which app asks for what, and allows or denies. Wrong codes are throttled per
//! browser session and per source, like passwords.

use super::Visit;
use crate::config::Settings;
use crate::domain::{Acr, UserCode};
use crate::oidc::throttle::Throttle;
use crate::oidc::{access, device, login, resource};
use crate::store::users::User;
use crate::store::{StoreError, Tx};

/// What the verification page answers.
#[derive(Debug)]
pub enum Verification {
    /// No session: sign in first, then come back.
    NotSignedIn,
    /// A second factor first: the user's policy asks for one and it is still due, or the app
    /// requires two factors (`--require-mfa`) of a one-factor session.
    SecondFactorDue,
    /// Too many wrong codes from this session or source: wait this many seconds.
    Wait { user: User, secs: i64 },
    /// No pending request has this code.
    NotFound { user: User },
    /// The person is outside the app's allowed groups: the device hears `access_denied`.
    NoAccess { user: User, app_name: String },
    /// The code is right: show what the app asks for.
    Confirm {
        user: User,
        app_name: String,
        scopes: Vec<String>,
    },
    /// The decision was recorded.
    Decided {
        user: User,
        app_name: String,
        allowed: bool,
    },
    /// Decided meanwhile in another tab, or expired since the page was shown.
    Gone { user: User },
}

/// A code typed on the page (`decision` None) or a decision on the confirmation page. Either
/// way the code is looked up again, so every lookup is throttled alike.
pub fn submit(
    c: &Tx<'_>,
    settings: &Settings,
    throttle: &Throttle,
    visit: &Visit,
    ip: Option<&str>,
    code: Option<&UserCode>,
    decision: Option<bool>,
) -> Result<Verification, StoreError> {
    let now = visit.now;
    let Some(b) = visit.browser(c, settings)? else {
        return Ok(Verification::NotSignedIn);
    };
    if !b.complete() {
        return Ok(Verification::SecondFactorDue);
    }
    let level = b.level();
    let (session, user) = (b.session, b.user);
    let keys = device::throttle_keys(&session.sid, ip);
    // Refused before any lookup: guessing gets no faster by hammering.
    if let Some(secs) = throttle.retry_after(c, &keys, now)? {
        return Ok(Verification::Wait { user, secs });
    }
    let found = match code {
        Some(code) => device::find_pending(c, code, now)?,
        None => None,
    };
    let Some((d, client)) = found else {
        tracing::debug!(client_ip = ip.unwrap_or(""), "unknown device user code");
        if let Some(secs) = throttle.record_failure(c, &keys, now)? {
            device::audit_throttled(c, &user.username, ip, secs, now)?;
        }
        return Ok(Verification::NotFound { user });
    };
    if client.require_mfa && level < Acr::Mfa {
        return Ok(Verification::SecondFactorDue);
    }
    let app_name = client.name.clone();
    if !access::may_use(c, &user, &client)? {
        access::record_denied(c, &user, &client, "device", now)?;
        device::decide(c, &d, &client, (&session, &user), false, ip, now)?;
        return Ok(Verification::NoAccess { user, app_name });
    }
    let Some(allowed) = decision else {
        let scope = crate::domain::ScopeSet::parse(&d.scope).unwrap_or_default();
        let scopes = resource::describe_scopes(c, &scope)?;
        return Ok(Verification::Confirm {
            user,
            app_name,
            scopes,
        });
    };
    login::touch(c, &session, now)?;
    if device::decide(c, &d, &client, (&session, &user), allowed, ip, now)? {
        Ok(Verification::Decided {
            user,
            app_name,
            allowed,
        })
    } else {
        Ok(Verification::Gone { user })
    }
}
