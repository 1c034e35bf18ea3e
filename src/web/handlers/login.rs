//! The login page (GET) and form (POST).

use super::authorize::{expired, see_other};
use crate::oidc::authorize::{self as az, AuthRequest};
use crate::oidc::{login, throttle};
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::{StoreError, sessions};
use crate::web::templates::{LoginPage, Page};
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// What the page needs to know about the request it serves, if any.
struct Pending {
    handle: String,
    request: AuthRequest,
    client: Client,
}

async fn load_pending(
    state: &web::Data<AppState>,
    handle: Option<&str>,
) -> Result<Option<Pending>, HttpResponse> {
    let Some(handle) = handle.map(str::to_owned) else {
        return Ok(None);
    };
    let st = state.clone();
    let h = handle.clone();
    match web::block(move || st.store.read(|c| az::unpark(c, &h, st.clock.now()))).await {
        Ok(Ok(Some((request, client)))) => Ok(Some(Pending {
            handle,
            request,
            client,
        })),
        Ok(Ok(None)) => Err(expired()),
        Ok(Err(e)) => Err(error::internal(e)),
        Err(e) => Err(error::internal(e)),
    }
}

/// Where to go after signing in without an authorization request: only our own account page,
/// or the device verification page (with the user code it was opened with).
fn next_page(p: &crate::oidc::params::Params) -> Option<String> {
    let next = p.get("next")?;
    if next == "/account" || next == "/device" {
        return Some(next.to_owned());
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
    let body = LoginPage {
        app_name: pending.map_or("", |p| p.client.name.as_str()),
        error: err.unwrap_or(""),
        csrf: &token,
        req: pending.map_or("", |p| p.handle.as_str()),
        next: next.as_deref().unwrap_or(""),
        username,
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
    let pending = match load_pending(&state, q.get("req")).await {
        Ok(p) => p,
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

pub async fn post_login(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    let form = extract::form(&body);
    let pending = match load_pending(&state, form.get("req")).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let username = form.get("username").unwrap_or("").trim().to_owned();
    let password = form.get("password").unwrap_or("").to_owned();
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        let msg = "Your sign-in form expired. Please try again.";
        return render(
            &req,
            &state,
            pending.as_ref(),
            &username,
            Some(msg),
            StatusCode::FORBIDDEN,
            next_page(&form),
        );
    }

    let info = extract::client_info(&req);
    let throttle_keys = throttle::keys(&username, info.ip.as_deref());
    if let Some(wait) = state
        .throttle
        .retry_after(&throttle_keys, state.clock.now())
    {
        // Refused before any password work: guessing gets no faster by hammering.
        let msg = format!("Too many failed sign-in attempts. Wait {wait} seconds and try again.");
        let mut res = render(
            &req,
            &state,
            pending.as_ref(),
            &username,
            Some(&msg),
            StatusCode::TOO_MANY_REQUESTS,
            next_page(&form),
        );
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(wait),
        );
        return res;
    }

    let st = state.clone();
    let name = username.clone();
    let checked = state
        .passwords
        .run(move || login::check_password(&st.store, &name, &password))
        .await;
    let user = match checked {
        Ok(Ok(u)) => u,
        Ok(Err(e)) => return error::internal(e),
        Err(e) => return error::internal(e),
    };
    let Some(user) = user else {
        let now = state.clock.now();
        let wait = state.throttle.record_failure(&throttle_keys, now);
        let st = state.clone();
        let (name, info2) = (username.clone(), info.clone());
        let _ = web::block(move || {
            st.store.write(|c| {
                login::audit_failed_login(c, &name, now, &info2)?;
                match wait {
                    Some(secs) => login::audit_throttled(c, &name, now, secs, &info2),
                    None => Ok(()),
                }
            })
        })
        .await;
        let msg = "Invalid username or password";
        return render(
            &req,
            &state,
            pending.as_ref(),
            &username,
            Some(msg),
            StatusCode::UNAUTHORIZED,
            next_page(&form),
        );
    };

    state.throttle.record_success(&username);

    // A fresh session with a fresh id; the old one (if any) ends here.
    let old = cookies::read(&req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let handle = pending.as_ref().map(|p| p.handle.clone());
    let request = pending.map(|p| p.request);
    let created = web::block(move || {
        let now = st.clock.now();
        st.store.write(|c| -> Result<String, StoreError> {
            if let Some(old) = old
                && let Some((s, _)) = login::current_session(c, &old, &st.settings, now)?
            {
                sessions::delete_session(c, s.id)?;
            }
            let (secret, _) = login::start_session(c, &user, &st.settings, now, &info)?;
            if let (Some(h), Some(mut r)) = (&handle, request) {
                r.reauthenticated = true;
                az::repark(c, h, &r)?;
            }
            Ok(secret)
        })
    })
    .await;
    let secret = match created {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return error::internal(e),
        Err(e) => return error::internal(e),
    };
    let next = match (form.get("req"), next_page(&form)) {
        (Some(h), _) => format!("/authorize/resume?req={h}"),
        (None, Some(page)) => page,
        (None, None) => "/".to_owned(),
    };
    let mut res = see_other(&next);
    let _ = res.add_cookie(&cookies::session(&state.settings, secret));
    // A new CSRF token with the new session: forms from before the sign-in stop working.
    let _ = res.add_cookie(&cookies::csrf(
        &state.settings,
        crate::crypto::random::token(),
    ));
    res
}
