//! /account: the signed-in user's profile, sessions, apps and password.

use crate::crypto::password_pool::PoolError;
use crate::metrics::Throttle;
use crate::oidc::account::{self, Action, Done, Gate, Page as AccountView, PasswordChange};
use crate::oidc::login_throttle::{self, Refused};
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::web::handlers::authorize::see_other;
use crate::web::templates::{
    AccountPage, AppView, FactorsView, IdentityView, Page, PasskeyView, SessionView, UpstreamButton,
};
use crate::web::throttle::{self, Settle};
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

const LOGIN: &str = "/login?next=/account";
const SECOND_FACTOR: &str = "/login/second-factor?next=/account";
/// Where an old sign-in goes before a change that needs a fresh one.
const REAUTH: &str = "/login?reauth=1&next=/account";

/// Where a browser that may not see the account page yet goes.
fn gated(gate: Gate) -> HttpResponse {
    match gate {
        Gate::NotSignedIn => see_other(LOGIN),
        Gate::SecondFactorDue => see_other(SECOND_FACTOR),
    }
}

/// Run one account step (see `account::step`) for this browser, off the executor. Err: the
/// answer instead (a redirect to sign in, or a store failure).
pub(super) async fn step(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    action: Action,
) -> Result<(Done, AccountView), HttpResponse> {
    let cookie = cookies::read(req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let done = web::block(move || {
        let now = st.clock.now();
        st.store
            .write(|c| account::step(c, &st.settings, cookie.as_deref(), &action, now))
    })
    .await;
    match done {
        Ok(Ok(Ok(found))) => Ok(found),
        Ok(Ok(Err(gate))) => Err(gated(gate)),
        Ok(Err(e)) => Err(error::store(e)),
        Err(e) => Err(error::internal(e)),
    }
}

pub async fn get_account(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match step(&req, &state, Action::Show).await {
        Ok((_, page)) => render(&req, &state, &page, None, None, StatusCode::OK),
        Err(res) => res,
    }
}

pub(crate) fn show_time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// A few words about a browser from its User-Agent.
pub(crate) fn device(ua: Option<&str>) -> String {
    let ua = ua.unwrap_or("");
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, v)| *v);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, v)| *v);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => format!("A browser on {o}"),
        (None, None) => "Unknown device".to_owned(),
    }
}

pub(super) fn render(
    req: &HttpRequest,
    state: &AppState,
    page: &AccountView,
    message: Option<&str>,
    err: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let (current, user, overview) = (&page.session, &page.user, &page.overview);
    let sessions = overview
        .sessions
        .iter()
        .map(|s| SessionView {
            sid: s.sid.clone(),
            device: device(s.user_agent.as_deref()),
            ip: s.ip.clone().unwrap_or_else(|| "unknown".into()),
            last_seen: show_time(s.last_seen_at),
            signed_in: show_time(s.auth_time),
            current: s.sid == current.sid,
        })
        .collect();
    let apps: Vec<AppView> = overview
        .apps
        .iter()
        .map(|a| AppView {
            client_id: a.client_id.clone(),
            name: a.name.clone(),
            access: match &a.scope {
                Some(s) => format!("Allowed: {}", s.split(' ').collect::<Vec<_>>().join(", ")),
                None => "Signed in (a first-party app of your team)".to_owned(),
            },
        })
        .collect();
    let f = &overview.factors;
    let factors = FactorsView {
        totp_since: f.totp_since.map(show_time).unwrap_or_default(),
        recovery_left: f.recovery_left.to_string(),
        recovery_total: f.recovery_total.to_string(),
        recovery_used: f.recovery_used_at.map(show_time).unwrap_or_default(),
        required: crate::oidc::mfa::policy_requires(&state.settings, user),
        reauth_minutes: (state.settings.reauth_secs / 60).max(1).to_string(),
    };
    let passkeys: Vec<PasskeyView> = overview
        .passkeys
        .iter()
        .map(|p| PasskeyView {
            id: p.id,
            name: p.name.clone(),
            created: show_time(p.created_at),
            last_used: p.last_used_at.map_or_else(|| "never".to_owned(), show_time),
            synced: p.backup_eligible,
        })
        .collect();
    let fresh = account::is_fresh(current, &state.settings, state.clock.now());
    let identities: Vec<IdentityView> = overview
        .identities
        .iter()
        .map(|(i, removable)| IdentityView {
            id: i.id,
            provider: state.upstreams.name_of(&i.upstream),
            email: i.email.clone().unwrap_or_default(),
            linked: show_time(i.created_at),
            last_used: i.last_used_at.map_or_else(|| "never".to_owned(), show_time),
            removable: fresh && *removable,
        })
        .collect();
    let link_buttons: Vec<UpstreamButton> = state
        .upstreams
        .entries()
        .iter()
        .map(|e| UpstreamButton {
            id: e.config.id.clone(),
            name: e.config.name.clone(),
            url: format!("/upstream/{}/start", e.config.id),
        })
        .collect();
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let body = AccountPage {
        upstream_section: !identities.is_empty() || !link_buttons.is_empty(),
        no_identities: identities.is_empty(),
        identities,
        link_buttons,
        factors,
        passkeys_available: crate::oidc::passkeys::available(&state.settings),
        no_passkeys: passkeys.is_empty(),
        passkeys,
        fresh,
        username: &user.username,
        name: user.name.as_deref().unwrap_or("—"),
        email: &user.email,
        email_verified: user.email_verified,
        mail: crate::oidc::mail::enabled(&state.settings),
        notices: user.security_notices,
        has_password: account::has_password(user),
        sessions,
        no_apps: apps.is_empty(),
        apps,
        csrf: &token,
        message: message.unwrap_or(""),
        error: err.unwrap_or(""),
    }
    .render_html();
    let mut res = headers::html(status, body, &[]);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

/// Common start of every account POST: the form, once its CSRF token checks out.
pub(super) fn checked_form(req: &HttpRequest, state: &AppState, body: &Bytes) -> Option<Params> {
    let form = extract::form(body);
    csrf::verify(req, &state.settings, form.get("csrf_token")).then_some(form)
}

pub(super) fn form_expired() -> HttpResponse {
    error::page(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "Reload your account page and try again.",
    )
}

/// The account page after a change that may have found nothing to change.
fn after_change(
    req: &HttpRequest,
    state: &AppState,
    changed: bool,
    page: &AccountView,
    (done, missing): (&str, &str),
) -> HttpResponse {
    if changed {
        render(req, state, page, Some(done), None, StatusCode::OK)
    } else {
        render(req, state, page, None, Some(missing), StatusCode::NOT_FOUND)
    }
}

pub async fn post_end_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let Some(form) = checked_form(&req, &state, &body) else {
        return form_expired();
    };
    let sid = form.get("sid").unwrap_or("").to_owned();
    let ended = step(&req, &state, Action::EndSession(sid)).await;
    state.outbox_nudge.notify_one();
    match ended {
        Ok((
            Done::SessionEnded {
                found: true,
                own: true,
            },
            _,
        )) => {
            let mut res = see_other("/");
            let _ = res.add_cookie(&cookies::removal(&state.settings, cookies::SESSION));
            res
        }
        Ok((done, page)) => {
            let msgs = ("The session was ended.", "That session no longer exists.");
            let ended = matches!(done, Done::SessionEnded { found: true, .. });
            after_change(&req, &state, ended, &page, msgs)
        }
        Err(res) => res,
    }
}

pub async fn post_revoke_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let Some(form) = checked_form(&req, &state, &body) else {
        return form_expired();
    };
    let client_id = form.get("client_id").unwrap_or("").to_owned();
    let outcome = step(&req, &state, Action::RevokeApp(client_id)).await;
    let msgs = (
        "Access was revoked. The app will ask again next time.",
        "That app is not known.",
    );
    match outcome {
        Ok((done, page)) => {
            let revoked = matches!(done, Done::AppRevoked { found: true });
            after_change(&req, &state, revoked, &page, msgs)
        }
        Err(res) => res,
    }
}

/// The password change: one step before the password check (who is signed in) and one after it
/// (the page as it is then; the change itself ends the user's other sessions).
pub async fn post_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let Some(form) = checked_form(&req, &state, &body) else {
        return form_expired();
    };
    let page = match step(&req, &state, Action::Show).await {
        Ok((_, page)) => page,
        Err(res) => return res,
    };
    let field = |k: &str| form.get(k).unwrap_or("").to_owned();
    let (cur, new, confirm) = (
        field("current_password"),
        field("new_password"),
        field("confirm_password"),
    );
    // The current password is a password guess like any other: the sign-in throttle holds.
    let now = state.clock.now();
    let attempt = login_throttle::Attempt {
        username: page.user.username.clone(),
        ip: extract::client_info(&req, &state.settings).ip,
        known_browser: None,
    };
    let reservation = match throttle::begin(&state, attempt, now).await {
        Ok(Ok(Ok(r))) => r,
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
        Ok(Ok(Err(refused))) => {
            let (wait, kind) = match refused {
                Refused::Wait(w) => (w, Throttle::LoginWait),
                Refused::Busy => (1, Throttle::LoginConcurrent),
            };
            state.metrics.throttled(kind);
            let msg = format!("Too many wrong passwords. Wait {wait} seconds and try again.");
            let mut res = render(
                &req,
                &state,
                &page,
                None,
                Some(&msg),
                StatusCode::TOO_MANY_REQUESTS,
            );
            res.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(wait.max(1)));
            return res;
        }
    };
    // A first password (an account made with a passkey alone) needs a fresh sign-in instead.
    if !account::has_password(&page.user) && !account::is_fresh(&page.session, &state.settings, now)
    {
        throttle::settle(&state, reservation, Settle::Cancelled).await;
        return see_other(REAUTH);
    }
    let st = state.clone();
    let (u, sid) = (page.user.clone(), page.session.sid.clone());
    let info = extract::client_info(&req, &state.settings);
    let outcome = state
        .passwords
        .run(move || {
            let typed = (cur.as_str(), new.as_str(), confirm.as_str());
            account::change_password(&st.store, &st.settings, &u, &sid, typed, &info, now)
        })
        .await;
    match &outcome {
        Ok(Ok(PasswordChange::Done)) => {
            throttle::settle(&state, reservation, Settle::Succeeded).await;
        }
        Ok(Ok(PasswordChange::WrongCurrent)) => {
            reservation.failed();
        }
        // Nothing was checked: the attempt is given back.
        Ok(Ok(_)) => throttle::settle(&state, reservation, Settle::Cancelled).await,
        Err(PoolError::QueueFull) => {
            throttle::settle(&state, reservation, Settle::Cancelled).await;
            state.metrics.throttled(Throttle::PasswordQueue);
        }
        _ => drop(reservation),
    }
    state.outbox_nudge.notify_one();
    let (msg, err, status) = match outcome {
        Ok(Ok(PasswordChange::Done)) => (
            Some("Your password was changed. Your other sessions were ended."),
            None,
            StatusCode::OK,
        ),
        Ok(Ok(PasswordChange::WrongCurrent)) => (
            None,
            Some("Your current password is not correct.".to_owned()),
            StatusCode::BAD_REQUEST,
        ),
        Err(PoolError::QueueFull) => (
            None,
            Some(
                "Too many people are signing in right now. Try again in a few seconds.".to_owned(),
            ),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        Ok(Ok(PasswordChange::Mismatch)) => (
            None,
            Some("The two new passwords are not the same.".to_owned()),
            StatusCode::BAD_REQUEST,
        ),
        Ok(Ok(PasswordChange::Weak(why))) => (
            None,
            Some(format!("Choose another password: {why}.")),
            StatusCode::BAD_REQUEST,
        ),
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    // The page as it is after the change (other sessions ended).
    let page = match step(&req, &state, Action::Show).await {
        Ok((_, page)) => page,
        Err(res) => return res,
    };
    render(&req, &state, &page, msg, err.as_deref(), status)
}
