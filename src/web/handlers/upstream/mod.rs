//! Signing in with an upstream provider: `/upstream/ID/start`, `/upstream/ID/callback`, the
//! "No account is linked" page (`/upstream/link`) and unlinking on the account page. The
//! decisions are in `oidc::upstream`; these files parse, run one store step per
//! `web::block`, talk to the provider (async, never blocking a worker) and render.

pub mod account_unlink;
pub mod callback;
pub mod link;
pub mod start;

use crate::oidc::interaction::sign_in::SignedIn;
use crate::oidc::upstream::link::Refusal;
use crate::state::AppState;
use crate::web::handlers::authorize::see_other;
use crate::web::templates::{Page, UpstreamErrorPage};
use crate::web::{cookies, headers};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web;

/// A page about a sign-in that did not go through, with a way back.
fn problem(
    status: StatusCode,
    title: &str,
    message: &str,
    back: Option<(&str, &str)>,
) -> HttpResponse {
    let (back_url, back_label) = back.unwrap_or(("", ""));
    let body = UpstreamErrorPage {
        title,
        message,
        back_url,
        back_label,
    }
    .render_html();
    headers::html(status, body, &[])
}

/// The login page again: of the same authorization request, or going to the same page.
fn login_again(pending: Option<&str>, next: Option<&str>) -> String {
    let q = match (pending, next) {
        (Some(h), _) => serde_urlencoded::to_string([("req", h)]),
        (None, Some(n)) => serde_urlencoded::to_string([("next", n)]),
        (None, None) => return "/login".to_owned(),
    };
    format!("/login?{}", q.unwrap_or_default())
}

/// Signed in: the new session cookie (and known-browser cookie), a new CSRF token (forms from
/// before stop working), and on to `go`.
fn signed_in(state: &AppState, s: SignedIn, go: &str) -> HttpResponse {
    let mut res = see_other(go);
    let _ = res.add_cookie(&cookies::session(&state.settings, s.session_secret));
    if let Some(b) = s.new_browser {
        let _ = res.add_cookie(&cookies::browser(&state.settings, b));
    }
    let _ = res.add_cookie(&cookies::csrf(
        &state.settings,
        crate::crypto::random::token(),
    ));
    res
}

/// The page for an identity that may not sign in (or be linked); the refusal is audited
/// already.
fn refused(provider: &str, why: Refusal, back: (&str, &str)) -> HttpResponse {
    let (status, title, message) = match why {
        Refusal::DomainNotAllowed => (
            StatusCode::FORBIDDEN,
            "This account cannot sign in here".to_owned(),
            format!(
                "Signing in with {provider} is only for the email domains your administrator allowed, and {provider} did not vouch for such an address. Sign in another way, or ask your administrator."
            ),
        ),
        Refusal::MissingEmail => (
            StatusCode::FORBIDDEN,
            format!("{provider} did not share an email address"),
            format!(
                "A new account needs your email address. Allow it to be shared at {provider} and try again, or ask your administrator for an account."
            ),
        ),
        Refusal::Disabled => (
            StatusCode::FORBIDDEN,
            "This account is disabled".to_owned(),
            "Your account here is disabled. Ask your administrator.".to_owned(),
        ),
        Refusal::LinkedElsewhere => (
            StatusCode::CONFLICT,
            format!("This {provider} account belongs to another account here"),
            format!(
                "It is linked to another account already. Unlink it there first, or link another {provider} account."
            ),
        ),
        Refusal::SessionGone => (
            StatusCode::BAD_REQUEST,
            "Your session ended".to_owned(),
            format!("Sign in again, then link {provider} from your account page."),
        ),
        Refusal::Expired => (
            StatusCode::BAD_REQUEST,
            "This sign-in request has expired".to_owned(),
            "Go back to the application you came from and start signing in again.".to_owned(),
        ),
    };
    problem(status, &title, &message, Some(back))
}

/// Record a failure in the audit log (off the executor); a failure to record is logged.
async fn audit_failure(
    state: &web::Data<AppState>,
    upstream: &str,
    reason: &'static str,
    detail: Option<String>,
    ip: Option<String>,
) {
    let st = state.clone();
    let id = upstream.to_owned();
    let now = state.clock.now();
    let done = web::block(move || {
        st.store.write(|c| {
            crate::oidc::upstream::flow::failed(
                c,
                &id,
                reason,
                detail.as_deref(),
                None,
                ip.as_deref(),
                now,
            )
        })
    })
    .await;
    if !matches!(done, Ok(Ok(()))) {
        tracing::warn!(
            upstream,
            reason,
            "could not record an upstream failure in the audit log"
        );
    }
}
