//! `/upstream/link?t=HANDLE`: "No account is linked to this sign-in". GET shows the page;
//! POST checks the local password (the sign-in throttle and the argon2 threads, as `/login`)
//! and links the waiting identity to that account, then signs in with it.

use super::{login_again, problem, refused, signed_in};
use crate::crypto::password_pool::PoolError;
use crate::metrics::{Login, Throttle};
use crate::oidc::interaction::sign_in;
use crate::oidc::login::{self, PasswordCheck};
use crate::oidc::login_throttle::{Attempt, Refused};
use crate::oidc::upstream::Identity;
use crate::oidc::upstream::link::{self as rules, Browser, Resolved};
use crate::state::AppState;
use crate::store::upstream::PendingLink;
use crate::web::templates::{Page, UpstreamLinkPage};
use crate::web::throttle::{self, Settle};
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

fn gone() -> HttpResponse {
    problem(
        StatusCode::BAD_REQUEST,
        "This sign-in has expired",
        "Linking must finish within ten minutes, in the browser that started it. Start signing in again.",
        Some(("/login", "Back to sign in")),
    )
}

/// The waiting identity this browser holds under `handle`. Err: the page instead.
async fn waiting(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    handle: &str,
) -> Result<(Identity, PendingLink), HttpResponse> {
    let binding = cookies::read(req, &state.settings, cookies::UPSTREAM);
    let (st, h, now) = (state.clone(), handle.to_owned(), state.clock.now());
    let found = web::block(move || {
        st.store
            .read(|c| rules::waiting(c, &h, binding.as_deref(), now))
    })
    .await;
    match found {
        Ok(Ok(Some(w))) => Ok(w),
        Ok(Ok(None)) => Err(gone()),
        Ok(Err(e)) => Err(error::store(e)),
        Err(e) => Err(error::internal(e)),
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    req: &HttpRequest,
    state: &AppState,
    who: &Identity,
    l: &PendingLink,
    handle: &str,
    username: &str,
    err: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let provider = state.upstreams.name_of(&who.upstream);
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let shown = who
        .email
        .as_deref()
        .or(who.preferred_username.as_deref())
        .unwrap_or("");
    let cancel = login_again(l.pending.as_deref(), l.next.as_deref());
    let body = UpstreamLinkPage {
        provider: &provider,
        who: shown,
        app_name: "",
        csrf: &token,
        handle,
        username,
        error: err.unwrap_or(""),
        cancel_url: &cancel,
    }
    .render_html();
    let mut res = headers::html(status, body, &[]);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

pub async fn get_upstream_link(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let q = extract::query(&req);
    let handle = q.get("t").unwrap_or("").to_owned();
    match waiting(&req, &state, &handle).await {
        Ok((who, l)) => render(&req, &state, &who, &l, &handle, "", None, StatusCode::OK),
        Err(res) => res,
    }
}

pub async fn post_upstream_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let form = extract::form(&body);
    let handle = form.get("t").unwrap_or("").to_owned();
    let username = form.get("username").unwrap_or("").trim().to_owned();
    let password = form.get("password").unwrap_or("").to_owned();
    let (who, l) = match waiting(&req, &state, &handle).await {
        Ok(w) => w,
        Err(res) => return res,
    };
    let page = |msg: &str, status| {
        render(
            &req,
            &state,
            &who,
            &l,
            &handle,
            &username,
            Some(msg),
            status,
        )
    };
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        return page(
            "Your form expired. Please try again.",
            StatusCode::FORBIDDEN,
        );
    }
    let now = state.clock.now();
    let info = extract::client_info(&req, &state.settings);
    // A password guess like any other: the sign-in throttle counts it before argon2 runs.
    let attempt = Attempt {
        username: username.clone(),
        ip: info.ip.clone(),
        known_browser: None,
    };
    let reservation = match throttle::begin(&state, attempt, now).await {
        Ok(Ok(Ok(r))) => r,
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
        Ok(Ok(Err(refusal))) => {
            let (wait, kind) = match refusal {
                Refused::Wait(w) => (w, Throttle::LoginWait),
                Refused::Busy => (1, Throttle::LoginConcurrent),
            };
            state.metrics.login(Login::Throttled);
            state.metrics.throttled(kind);
            let msg =
                format!("Too many failed sign-in attempts. Wait {wait} seconds and try again.");
            let mut res = page(&msg, StatusCode::TOO_MANY_REQUESTS);
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(wait.max(1)),
            );
            return res;
        }
    };
    let st = state.clone();
    let name = username.clone();
    let checked = state
        .passwords
        .run(move || login::check_password_for_sign_in(&st.store, &name, &password))
        .await;
    if let Ok(Ok(check)) = &checked {
        state.metrics.login(Login::of(check));
    }
    let user = match checked {
        Ok(Ok(PasswordCheck::Valid(u))) => u,
        Ok(Ok(_)) => {
            let wait = reservation.failed();
            let (st, name, info2) = (state.clone(), username.clone(), info.clone());
            let audited = web::block(move || {
                st.store
                    .write(|c| sign_in::failed(c, &name, wait, &info2, now))
            })
            .await;
            if !matches!(audited, Ok(Ok(()))) {
                tracing::warn!("could not record a failed sign-in in the audit log");
            }
            return page("Invalid username or password", StatusCode::UNAUTHORIZED);
        }
        Ok(Err(e)) => return error::store(e),
        Err(PoolError::QueueFull) => {
            throttle::settle(&state, reservation, Settle::Cancelled).await;
            state.metrics.throttled(Throttle::PasswordQueue);
            return page(
                "Too many people are signing in right now. Try again in a few seconds.",
                StatusCode::SERVICE_UNAVAILABLE,
            );
        }
        Err(e) => return error::internal(e),
    };

    let session_cookie = cookies::read(&req, &state.settings, cookies::SESSION);
    let browser_cookie = cookies::read(&req, &state.settings, cookies::BROWSER);
    let binding = cookies::read(&req, &state.settings, cookies::UPSTREAM).unwrap_or_default();
    let (st, h, info2) = (state.clone(), handle.clone(), info.clone());
    let done = web::block(move || {
        st.store.write(|c| {
            // The right password: settled in the same write as the sign-in.
            reservation.succeeded(c)?;
            rules::finish_with_password(
                c,
                &st.settings,
                &h,
                &user,
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
    let provider = state.upstreams.name_of(&who.upstream);
    let back = login_again(l.pending.as_deref(), l.next.as_deref());
    match done {
        Ok(Ok(Ok(Resolved::SignedIn { signed_in: s, go }))) => signed_in(&state, s, &go),
        Ok(Ok(Ok(_))) => gone(),
        Ok(Ok(Err(why))) => refused(&provider, why, (&back, "Back to sign in")),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}
