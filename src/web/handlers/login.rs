//! The login page (GET) and form (POST).

use super::authorize::{expired, see_other};
use crate::crypto::password_pool::PoolError;
use crate::metrics::{Login, Throttle};
use crate::oidc::interaction::sign_in::{self, Pending, Prepared, SignedIn};
use crate::oidc::login::{self, PasswordCheck};
use crate::oidc::login_throttle::{self, Refused};
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::templates::{LoginPage, Page, UpstreamButton};
use crate::web::throttle::Settle;
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// The step before the password check (and the page's own): the parked request, if any, and
/// this browser's known-browser id for `username`. Err: the page to answer instead.
async fn prepare(
    state: &web::Data<AppState>,
    handle: Option<&str>,
    username: Option<&str>,
    browser: Option<String>,
) -> Result<Prepared, HttpResponse> {
    let st = state.clone();
    let (h, name) = (handle.map(str::to_owned), username.map(str::to_owned));
    let now = state.clock.now();
    let step = web::block(move || {
        st.store
            .read(|c| sign_in::prepare(c, h.as_deref(), name.as_deref(), browser.as_deref(), now))
    })
    .await;
    match step {
        Ok(Ok(Some(p))) => Ok(p),
        Ok(Ok(None)) => Err(expired()),
        Ok(Err(e)) => Err(error::store(e)),
        Err(e) => Err(error::internal(e)),
    }
}

/// Where to go after signing in without an authorization request (`next`).
fn next_page(p: &crate::oidc::params::Params) -> Option<String> {
    local_next(p.get("next")?)
}

/// A page to come back to after a sign-in step: only our own account pages, the admin
/// dashboard, or the device verification page (with the user code it was opened with).
/// Anything else is refused (no open redirect).
pub fn local_next(next: &str) -> Option<String> {
    if matches!(
        next,
        "/" | "/account" | "/account/totp" | "/device" | "/admin"
    ) {
        return Some(next.to_owned());
    }
    // After accepting an invite (a second factor may come first): the app it was for.
    if next == "/welcome" {
        return Some(next.to_owned());
    }
    if let Some(app) = next.strip_prefix("/welcome?app=") {
        let plain = !app.is_empty()
            && app.len() <= 64
            && app
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        return plain.then(|| next.to_owned());
    }
    let code = next.strip_prefix("/device?user_code=")?;
    let plain = !code.is_empty()
        && code.len() <= 16
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    plain.then(|| next.to_owned())
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    pending: Option<&Pending>,
    username: &str,
    err: Option<&str>,
    status: StatusCode,
    next: Option<String>,
) -> HttpResponse {
    let next = if pending.is_none() { next } else { None };
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    // The account page sends an old sign-in here before sign-in methods change.
    let notice = if extract::query(req).get("reauth") != Some("1") {
        ""
    } else if next.as_deref().is_some_and(|n| n.starts_with("/admin")) {
        "The admin pages need a recent sign-in: sign in again first."
    } else {
        "To change how you sign in, sign in again first."
    };
    // "Sign in with NAME": into the same request, or back to the same page.
    let back = match (pending, next.as_deref()) {
        (Some(p), _) => serde_urlencoded::to_string([("req", p.handle.as_str())]),
        (None, Some(n)) => serde_urlencoded::to_string([("next", n)]),
        (None, None) => Ok(String::new()),
    }
    .unwrap_or_default();
    let upstreams: Vec<UpstreamButton> = state
        .upstreams
        .entries()
        .iter()
        .map(|e| UpstreamButton {
            id: e.config.id.clone(),
            name: e.config.name.clone(),
            url: if back.is_empty() {
                format!("/upstream/{}/start", e.config.id)
            } else {
                format!("/upstream/{}/start?{back}", e.config.id)
            },
        })
        .collect();
    let body = LoginPage {
        has_upstreams: !upstreams.is_empty(),
        upstreams,
        notice,
        passkeys: crate::oidc::passkeys::available(&state.settings),
        app_name: pending.map_or("", |p| p.client.name.as_str()),
        error: err.unwrap_or(""),
        csrf: &token,
        req: pending.map_or("", |p| p.handle.as_str()),
        next: next.as_deref().unwrap_or(""),
        username,
        forgot: crate::oidc::mail::enabled(&state.settings),
    }
    .render_html();
    // After a successful POST we redirect to the client: allow its origin as a form target.
    let targets: Vec<String> = pending
        .map(|p| p.request.redirect_uri.clone())
        .into_iter()
        .collect();
    let mut res = headers::html(status, body, &targets);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

pub async fn get_login(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let q = extract::query(&req);
    let pending = match prepare(&state, q.get("req"), None, None).await {
        Ok(p) => p.pending,
        Err(res) => return res,
    };
    let hint = pending
        .as_ref()
        .and_then(|p| p.request.login_hint.clone())
        .unwrap_or_default();
    render(
        &req,
        &state,
        pending.as_ref(),
        &hint,
        None,
        StatusCode::OK,
        next_page(&q),
    )
}

/// A 429 or 503 sign-in page with `Retry-After`.
fn refused(page: HttpResponse, wait: i64) -> HttpResponse {
    let mut res = page;
    res.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(wait.max(1)),
    );
    res
}

pub async fn post_login(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    let form = extract::form(&body);
    let username = form.get("username").unwrap_or("").trim().to_owned();
    let password = form.get("password").unwrap_or("").to_owned();
    let now = state.clock.now();

    // One step before the password check: the parked request, whether this browser signed in
    // to this account before (the throttle treats it apart), and the attempt counted in the
    // shared throttle — before any password work, so guessing gets no faster by hammering or
    // by bursts, on this node or across nodes. A stale form is not counted.
    let browser = cookies::read(&req, &state.settings, cookies::BROWSER);
    let csrf_ok = csrf::verify(&req, &state.settings, form.get("csrf_token"));
    let info = extract::client_info(&req, &state.settings);
    let st = state.clone();
    let (h, name, b, ip) = (
        form.get("req").map(str::to_owned),
        username.clone(),
        browser.clone(),
        info.ip.clone(),
    );
    // Short-lived: throttle counters need no fsync wait before the password check (a block
    // that is audited still waits: see `Store::write_short_lived`).
    let step = web::block(move || {
        st.store.write_short_lived(|c| {
            let Some(p) = sign_in::prepare(c, h.as_deref(), Some(&name), b.as_deref(), now)? else {
                return Ok(None);
            };
            if !csrf_ok {
                return Ok(Some((p.pending, None)));
            }
            let attempt = login_throttle::Attempt {
                username: name,
                ip,
                known_browser: p.known_browser,
            };
            let begun = st.throttle.begin(c, &attempt, now)?;
            Ok::<_, StoreError>(Some((p.pending, Some(begun))))
        })
    })
    .await;
    let (pending, begun) = match step {
        Ok(Ok(Some(p))) => p,
        Ok(Ok(None)) => return expired(),
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let page = |msg: &str, status| {
        render(
            &req,
            &state,
            pending.as_ref(),
            &username,
            Some(msg),
            status,
            next_page(&form),
        )
    };
    let Some(begun) = begun else {
        return page(
            "Your sign-in form expired. Please try again.",
            StatusCode::FORBIDDEN,
        );
    };
    let reservation = match begun {
        Ok(r) => r,
        Err(Refused::Wait(wait)) => {
            state.metrics.login(Login::Throttled);
            state.metrics.throttled(Throttle::LoginWait);
            let msg =
                format!("Too many failed sign-in attempts. Wait {wait} seconds and try again.");
            return refused(page(&msg, StatusCode::TOO_MANY_REQUESTS), wait);
        }
        Err(Refused::Busy) => {
            state.metrics.login(Login::Throttled);
            state.metrics.throttled(Throttle::LoginConcurrent);
            let msg = "A sign-in to this account is already being checked. Try again in a moment.";
            return refused(page(msg, StatusCode::TOO_MANY_REQUESTS), 1);
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
        Ok(Ok(PasswordCheck::Valid(u))) => Some(u),
        Ok(Ok(_)) => None,
        Ok(Err(e)) => return error::store(e),
        Err(PoolError::QueueFull) => {
            crate::web::throttle::settle(&state, reservation, Settle::Cancelled).await;
            state.metrics.login(Login::Overloaded);
            state.metrics.throttled(Throttle::PasswordQueue);
            let msg = "Too many people are signing in right now. Try again in a few seconds.";
            return refused(page(msg, StatusCode::SERVICE_UNAVAILABLE), 5);
        }
        Err(e) => return error::internal(e),
    };
    let Some(user) = user else {
        let wait = reservation.failed();
        let st = state.clone();
        let (name, info2) = (username.clone(), info.clone());
        let audited = web::block(move || {
            st.store
                .write(|c| sign_in::failed(c, &name, wait, &info2, now))
        })
        .await;
        if let Err(e) = audited
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
        {
            tracing::warn!(error = %e, "could not record a failed sign-in in the audit log");
        }
        return page("Invalid username or password", StatusCode::UNAUTHORIZED);
    };

    // A fresh session with a fresh id; the old one (if any) ends here.
    let old = cookies::read(&req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let pending = pending.map(|p| (p.handle, p.request));
    let created = web::block(move || {
        st.store.write(|c| {
            // The right password: the throttle is settled in the same write as the session.
            reservation.succeeded(c)?;
            let pending = pending.as_ref().map(|(h, r)| (h.as_str(), r.clone()));
            sign_in::succeeded(
                c,
                &st.settings,
                &user,
                old.as_deref(),
                browser.as_deref(),
                pending,
                &info,
                now,
            )
        })
    })
    .await;
    let SignedIn {
        session_secret: secret,
        new_browser,
        second_factor_due,
    } = match created {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let next = match (form.get("req"), next_page(&form)) {
        (Some(h), _) => format!("/authorize/resume?req={h}"),
        (None, page) => {
            let page = page.unwrap_or_else(|| "/".to_owned());
            if second_factor_due {
                let q = serde_urlencoded::to_string([("next", page)]).unwrap_or_default();
                format!("/{}?{q}", crate::oidc::interaction::SECOND_FACTOR_PAGE)
            } else {
                page
            }
        }
    };
    let mut res = see_other(&next);
    let _ = res.add_cookie(&cookies::session(&state.settings, secret));
    if let Some(b) = new_browser {
        let _ = res.add_cookie(&cookies::browser(&state.settings, b));
    }
    // A new CSRF token with the new session: forms from before the sign-in stop working.
    let _ = res.add_cookie(&cookies::csrf(
        &state.settings,
        crate::crypto::random::token(),
    ));
    res
}
