//! GET `/upstream/ID/callback`: the provider sends the browser back with `code` and `state`
//! (or an `error`). The flow is taken once (this browser's, this provider's), the code is
//! redeemed and the identity checked, then `link::resolve` signs in, links, or offers the
//! "No account is linked" page. Every failure is a page and an audit row, never a 500.

use super::{audit_failure, login_again, problem, refused, signed_in};
use crate::oidc::account::Action;
use crate::oidc::upstream::flow;
use crate::oidc::upstream::link::{self, Browser, Resolved};
use crate::state::AppState;
use crate::web::handlers::account::{render, step};
use crate::web::handlers::authorize::see_other;
use crate::web::{cookies, error, extract};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_upstream_callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    let Some(entry) = state.upstreams.get(&id) else {
        return error::page(
            StatusCode::NOT_FOUND,
            "No such sign-in provider",
            "Go back to the sign-in page and choose another way to sign in.",
        );
    };
    let name = entry.config.name.as_str();
    let q = extract::query(&req);
    let info = extract::client_info(&req, &state.settings);
    let binding = cookies::read(&req, &state.settings, cookies::UPSTREAM);

    // The flow, once: a forged, replayed or foreign state ends here (audited).
    let st = state.clone();
    let (up, given, b, ip) = (
        id.clone(),
        q.get("state").unwrap_or("").to_owned(),
        binding.clone(),
        info.ip.clone(),
    );
    let now = state.clock.now();
    let taken = web::block(move || {
        st.store
            .write(|c| flow::take(c, &up, &given, b.as_deref(), ip.as_deref(), now))
    })
    .await;
    let flow = match taken {
        Ok(Ok(Ok(f))) => f,
        Ok(Ok(Err(_))) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "This sign-in cannot be finished",
                &format!(
                    "The answer from {name} does not belong to a sign-in this browser started, or it was used already or has expired. Start signing in again."
                ),
                Some(("/login", "Back to sign in")),
            );
        }
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let back = login_again(flow.pending.as_deref(), flow.next.as_deref());
    let back = if flow.purpose == flow::Purpose::Link.as_str() {
        ("/account".to_owned(), "Back to your account")
    } else {
        (back, "Back to sign in")
    };

    if let Some(err) = q.get("error") {
        let reason = if err == "access_denied" {
            "access_denied"
        } else {
            "provider_error"
        };
        let detail = format!("{err}: {}", q.get("error_description").unwrap_or(""));
        audit_failure(&state, &id, reason, Some(detail), info.ip.clone()).await;
        return problem(
            StatusCode::FORBIDDEN,
            &format!("Signing in with {name} did not finish"),
            &format!(
                "{name} did not let the sign-in through (it was cancelled, or access was not granted). You can try again, or sign in another way."
            ),
            Some((&back.0, back.1)),
        );
    }
    let Some(code) = q.get("code").filter(|c| !c.is_empty() && c.len() <= 2048) else {
        audit_failure(&state, &id, "code_missing", None, info.ip.clone()).await;
        return problem(
            StatusCode::BAD_REQUEST,
            &format!("{name} sent no sign-in code"),
            "Start signing in again.",
            Some((&back.0, back.1)),
        );
    };

    let who = match state
        .upstreams
        .identity(entry, code, &flow.pkce_verifier, &flow.nonce)
        .await
    {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(upstream = %id, error = %e, "upstream sign-in refused");
            audit_failure(
                &state,
                &id,
                e.reason(),
                Some(e.to_string()),
                info.ip.clone(),
            )
            .await;
            let (status, title, message) = match e {
                crate::oidc::upstream::UpstreamError::Unreachable(_) => (
                    StatusCode::BAD_GATEWAY,
                    format!("{name} cannot be reached right now"),
                    format!(
                        "{name} did not answer in time. Try again in a minute, or sign in another way."
                    ),
                ),
                _ => (
                    StatusCode::BAD_GATEWAY,
                    format!("The answer from {name} could not be verified"),
                    format!(
                        "latchkey did not accept what {name} sent back, so you are not signed in. Try again; if it keeps happening, tell your administrator."
                    ),
                ),
            };
            return problem(status, &title, &message, Some((&back.0, back.1)));
        }
    };

    let session_cookie = cookies::read(&req, &state.settings, cookies::SESSION);
    let browser_cookie = cookies::read(&req, &state.settings, cookies::BROWSER);
    let st = state.clone();
    let binding = binding.unwrap_or_default();
    let config = entry.config.clone();
    let (who2, info2, flow2) = (who.clone(), info.clone(), flow.clone());
    let resolved = web::block(move || {
        st.store.write(|c| {
            link::resolve(
                c,
                &st.settings,
                &config,
                &who2,
                &flow2,
                &Browser {
                    session_cookie: session_cookie.as_deref(),
                    browser_cookie: browser_cookie.as_deref(),
                    binding: &binding,
                    info: &info2,
                },
                now,
            )
        })
    })
    .await;
    state.outbox_nudge.notify_one();
    match resolved {
        Ok(Ok(Ok(Resolved::SignedIn { signed_in: s, go }))) => signed_in(&state, s, &go),
        Ok(Ok(Ok(Resolved::NeedsLink { handle }))) => {
            see_other(&format!("/upstream/link?t={handle}"))
        }
        Ok(Ok(Ok(done @ (Resolved::Linked | Resolved::AlreadyLinked)))) => {
            let msg = if matches!(done, Resolved::Linked) {
                format!("Your {name} account is linked: you can sign in with it from now on.")
            } else {
                format!("This {name} account was linked to yours already.")
            };
            match step(&req, &state, Action::Show).await {
                Ok((_, page)) => render(&req, &state, &page, Some(&msg), None, StatusCode::OK),
                Err(res) => res,
            }
        }
        Ok(Ok(Err(why))) => refused(name, why, (&back.0, back.1)),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}
