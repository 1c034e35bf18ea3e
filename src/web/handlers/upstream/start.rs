//! `/upstream/ID/start`: off to the provider. GET is the login page's "Sign in with NAME"
//! (`?req=HANDLE` or `?next=PAGE`); POST is the account page's "Link NAME" (a form with its
//! CSRF token, for the signed-in account).

use super::{audit_failure, login_again, problem};
use crate::crypto::random;
use crate::oidc::upstream::flow::{self, Begin, NotBegun, Purpose};
use crate::state::AppState;
use crate::web::handlers::account::{checked_form, form_expired};
use crate::web::handlers::authorize::{expired, see_other, visit_of};
use crate::web::handlers::login::local_next;
use crate::web::{cookies, error, extract};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_upstream_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let q = extract::query(&req);
    let next = match q.get("next").map(local_next) {
        None => None,
        Some(Some(n)) => Some(n),
        Some(None) => {
            return error::page(
                StatusCode::BAD_REQUEST,
                "This sign-in link is not valid",
                "Go back to the sign-in page and try again.",
            );
        }
    };
    start(&req, &state, &id, Purpose::SignIn, q.get("req"), next).await
}

pub async fn post_upstream_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Bytes,
) -> HttpResponse {
    if checked_form(&req, &state, &body).is_none() {
        return form_expired();
    }
    start(
        &req,
        &state,
        &id,
        Purpose::Link,
        None,
        Some("/account".into()),
    )
    .await
}

async fn start(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    id: &str,
    purpose: Purpose,
    pending: Option<&str>,
    next: Option<String>,
) -> HttpResponse {
    let Some(entry) = state.upstreams.get(id) else {
        return error::page(
            StatusCode::NOT_FOUND,
            "No such sign-in provider",
            "Go back to the sign-in page and choose another way to sign in.",
        );
    };
    let name = entry.config.name.clone();
    // One binding cookie per browser, kept across flows (two tabs may sign in at once).
    let binding = cookies::read(req, &state.settings, cookies::UPSTREAM)
        .filter(|b| b.len() == 43)
        .unwrap_or_else(random::token);
    let (st, nonce, verifier) = (random::token(), random::token(), random::token());
    // The provider first: when it cannot be reached nothing is parked.
    let url = match state
        .upstreams
        .authorization_url(entry, &st, &nonce, &verifier)
        .await
    {
        Ok(u) => u,
        Err(e) => {
            let ip = extract::client_info(req, &state.settings).ip;
            tracing::warn!(upstream = id, error = %e, "upstream sign-in could not start");
            audit_failure(state, id, e.reason(), Some(e.to_string()), ip).await;
            let back = login_again(pending, next.as_deref());
            return problem(
                StatusCode::BAD_GATEWAY,
                &format!("{name} cannot be reached right now"),
                &format!(
                    "Signing in with {name} is not possible at the moment. Try again in a minute, or sign in another way."
                ),
                Some((&back, "Back to sign in")),
            );
        }
    };
    let visit = visit_of(req, state);
    let st2 = state.clone();
    let (up, b, s, n, v) = (id.to_owned(), binding.clone(), st, nonce, verifier);
    let (p, nx) = (pending.map(str::to_owned), next.clone());
    let begun = web::block(move || {
        st2.store.write(|c| {
            flow::begin(
                c,
                &st2.settings,
                &visit,
                &Begin {
                    upstream: &up,
                    purpose,
                    pending: p.as_deref(),
                    next: nx.as_deref(),
                    binding: &b,
                    state: &s,
                    nonce: &n,
                    verifier: &v,
                },
            )
        })
    })
    .await;
    match begun {
        Ok(Ok(Ok(()))) => {
            let mut res = see_other(&url);
            let _ = res.add_cookie(&cookies::upstream(&state.settings, binding));
            res
        }
        Ok(Ok(Err(NotBegun::RequestExpired))) => expired(),
        Ok(Ok(Err(NotBegun::NotSignedIn))) => see_other("/login?next=/account"),
        Ok(Ok(Err(NotBegun::Reauth))) => see_other("/login?reauth=1&next=/account"),
        Ok(Ok(Err(NotBegun::TooMany))) => {
            let mut res = error::page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-ins at once",
                "Finish or close the other sign-ins first, then try again in a few minutes.",
            );
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(60),
            );
            res
        }
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}
