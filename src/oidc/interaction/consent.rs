//! The consent step: what the page shows, and what the person's decision does.

use super::{Outcome, Visit, deny, to_client_with_code, to_client_with_error};
use crate::config::Settings;
use crate::domain::ScopeSet;
use crate::oidc::authorize::{self as az, AuthRequest};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::{access, resource};
use crate::store::clients::Client;
use crate::store::sessions::Session;
use crate::store::users::User;
use crate::store::{StoreError, Tx, audit, consents};

/// What the consent page shows.
#[derive(Debug)]
pub struct Prompt {
    pub request: AuthRequest,
    pub client: Client,
    pub user: User,
    /// What will be released, to the ID token and userinfo alike, including what the `claims`
    /// parameter adds to the scopes.
    pub lines: Vec<String>,
}

/// Either the page, or somewhere else to go first.
#[derive(Debug)]
pub enum Page {
    Show(Box<Prompt>),
    Go(Outcome),
}

/// A parked request with the session that may answer it.
struct Ready {
    request: AuthRequest,
    client: Client,
    user: User,
    session: Session,
}

/// The pending request and its signed-in user, or where to go instead (sign in first, a second
/// factor first; the request is gone).
fn pending_with_user(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    handle: &str,
) -> Result<Result<Ready, Outcome>, StoreError> {
    let Some((request, client)) = az::unpark(c, handle, visit.now)? else {
        return Ok(Err(Outcome::Expired));
    };
    let Some(b) = visit.browser(c, settings)? else {
        return Ok(Err(Outcome::Local(format!("/login?req={handle}"))));
    };
    if az::login_needed(&request, &b.session, &b.user, visit.now) {
        return Ok(Err(Outcome::Local(format!("/login?req={handle}"))));
    }
    // The second factor comes before consent, however the browser got here.
    if az::step_up_needed(&request, &client, &b.session, b.floor).is_some() {
        return Ok(Err(Outcome::Local(format!(
            "/{}?req={handle}",
            super::SECOND_FACTOR_PAGE
        ))));
    }
    Ok(Ok(Ready {
        request,
        client,
        user: b.user,
        session: b.session,
    }))
}

/// GET /consent: the page for a parked request.
pub fn page(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    handle: &str,
) -> Result<Page, StoreError> {
    let Ready {
        request,
        client,
        user,
        ..
    } = match pending_with_user(c, settings, visit, handle)? {
        Ok(x) => x,
        Err(go) => return Ok(Page::Go(go)),
    };
    let lines = resource::describe_scopes(c, &request.consent_scopes())?;
    Ok(Page::Show(Box::new(Prompt {
        request,
        client,
        user,
        lines,
    })))
}

/// POST /consent: allow records the consent (what the page showed) and issues a code; deny
/// answers the app with `access_denied`.
pub fn decide(
    c: &Tx<'_>,
    settings: &Settings,
    visit: &Visit,
    handle: &str,
    allow: bool,
) -> Result<Outcome, StoreError> {
    let now = visit.now;
    let Ready {
        request: areq,
        client,
        user,
        session: s,
    } = match pending_with_user(c, settings, visit, handle)? {
        Ok(x) => x,
        Err(go) => return Ok(go),
    };
    // Group membership may have changed since the page was shown.
    if !access::may_use(c, &user, &client)? {
        return deny(
            c,
            settings,
            &areq,
            &client,
            &user,
            Some(handle),
            "consent",
            now,
        );
    }
    az::forget(c, handle)?;
    if !allow {
        audit::insert_audit_event(
            c,
            &audit::AuditEvent {
                at: now,
                kind: "consent.denied".into(),
                subject: Some(user.subject.clone()),
                client_id: Some(client.client_id.clone()),
                ..Default::default()
            },
        )?;
        let err = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
        return Ok(to_client_with_error(settings, &areq, &err));
    }
    let before = az::granted_scopes(c, user.id, client.id)?.unwrap_or_default();
    // Record what the page showed: the scopes and those of the claims asked for.
    let all: ScopeSet = before.union(&areq.consent_scopes());
    consents::upsert_consent(c, user.id, client.id, &all.to_string(), now)?;
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "consent.given".into(),
            actor: Some(user.username.clone()),
            subject: Some(user.subject.clone()),
            client_id: Some(client.client_id.clone()),
            detail: Some(format!("{{\"scope\":\"{all}\"}}")),
            ..Default::default()
        },
    )?;
    let code = az::issue_code(c, &areq, &s, &user, now)?;
    Ok(to_client_with_code(settings, &areq, &code))
}
