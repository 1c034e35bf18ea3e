//! /account: the signed-in user's profile, sessions, apps and password.

use crate::crypto::password_pool::PoolError;
use crate::oidc::account::{self, PasswordChange};
use crate::oidc::login;
use crate::oidc::login_throttle::{self, Refused};
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::sessions::Session;
use crate::store::users::User;
use crate::web::handlers::authorize::see_other;
use crate::web::templates::{AccountPage, AppView, Page, SessionView};
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

const LOGIN: &str = "/login?next=/account";

/// The signed-in user and their session, or None.
async fn current(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<Option<(Session, User)>, HttpResponse> {
    let Some(ck) = cookies::read(req, &state.settings, cookies::SESSION) else {
        return Ok(None);
    };
    let st = state.clone();
    match web::block(move || {
        let now = st.clock.now();
        st.store.write(|c| {
            let found = login::current_session(c, &ck, &st.settings, now)?;
            if let Some((s, _)) = &found {
                login::touch(c, s, now)?;
            }
            Ok::<_, StoreError>(found)
        })
    })
    .await
    {
        Ok(Ok(found)) => Ok(found),
        Ok(Err(e)) => Err(error::store(e)),
        Err(e) => Err(error::internal(e)),
    }
}

pub async fn get_account(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match current(&req, &state).await {
        Ok(Some((s, user))) => render(&req, &state, &s, &user, None, None, StatusCode::OK).await,
        Ok(None) => see_other(LOGIN),
        Err(res) => res,
    }
}

fn show_time(t: i64) -> String {
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
fn device(ua: Option<&str>) -> String {
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

async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    current: &Session,
    user: &User,
    message: Option<&str>,
    err: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let st = state.clone();
    let u = user.clone();
    let overview =
        match web::block(move || st.store.read(|c| account::overview(c, &u, st.clock.now()))).await
        {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => return error::store(e),
            Err(e) => return error::internal(e),
        };
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
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let body = AccountPage {
        username: &user.username,
        name: user.name.as_deref().unwrap_or("—"),
        email: &user.email,
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

/// Common start of every account POST: a CSRF-checked form from a signed-in user.
async fn form_user(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &Bytes,
) -> Result<(Params, Session, User), HttpResponse> {
    let form = extract::form(body);
    if !csrf::verify(req, &state.settings, form.get("csrf_token")) {
        return Err(error::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Reload your account page and try again.",
        ));
    }
    match current(req, state).await? {
        Some((s, u)) => Ok((form, s, u)),
        None => Err(see_other(LOGIN)),
    }
}

pub async fn post_end_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let (form, s, user) = match form_user(&req, &state, &body).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let sid = form.get("sid").unwrap_or("").to_owned();
    let own = sid == s.sid;
    let st = state.clone();
    let u = user.clone();
    let ended = web::block(move || {
        st.store
            .write(|c| account::end_own_session(c, &u, &sid, st.clock.now()))
    })
    .await;
    state.outbox_nudge.notify_one();
    match ended {
        Ok(Ok(true)) if own => {
            let mut res = see_other("/");
            let _ = res.add_cookie(&cookies::removal(&state.settings, cookies::SESSION));
            res
        }
        other => {
            let msgs = ("The session was ended.", "That session no longer exists.");
            after_change(&req, &state, &s, &user, other, msgs).await
        }
    }
}

/// The account page again after a change that may find nothing to change.
async fn after_change(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    s: &Session,
    user: &User,
    outcome: Result<Result<bool, StoreError>, actix_web::error::BlockingError>,
    (done, missing): (&str, &str),
) -> HttpResponse {
    match outcome {
        Ok(Ok(true)) => render(req, state, s, user, Some(done), None, StatusCode::OK).await,
        Ok(Ok(false)) => {
            render(
                req,
                state,
                s,
                user,
                None,
                Some(missing),
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}

pub async fn post_revoke_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let (form, s, user) = match form_user(&req, &state, &body).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let client_id = form.get("client_id").unwrap_or("").to_owned();
    let st = state.clone();
    let u = user.clone();
    let outcome = web::block(move || {
        st.store
            .write(|c| account::revoke_app(c, &u, &client_id, st.clock.now()))
    })
    .await;
    let msgs = (
        "Access was revoked. The app will ask again next time.",
        "That app is not known.",
    );
    after_change(&req, &state, &s, &user, outcome, msgs).await
}

pub async fn post_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let (form, s, user) = match form_user(&req, &state, &body).await {
        Ok(x) => x,
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
        username: user.username.clone(),
        ip: extract::client_info(&req, &state.settings).ip,
        known_browser: None,
    };
    let reservation = match state.throttle.begin(&attempt, now) {
        Ok(r) => r,
        Err(refused) => {
            let wait = match refused {
                Refused::Wait(w) => w,
                Refused::Busy => 1,
            };
            let msg = format!("Too many wrong passwords. Wait {wait} seconds and try again.");
            let mut res = render(
                &req,
                &state,
                &s,
                &user,
                None,
                Some(&msg),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
            res.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(wait.max(1)));
            return res;
        }
    };
    let st = state.clone();
    let (u, sid) = (user.clone(), s.sid.clone());
    let outcome = state
        .passwords
        .run(move || account::change_password(&st.store, &u, &sid, &cur, &new, &confirm, now))
        .await;
    match &outcome {
        Ok(Ok(PasswordChange::Done)) => reservation.succeeded(),
        Ok(Ok(PasswordChange::WrongCurrent)) => {
            reservation.failed();
        }
        // Nothing was checked: the attempt is given back.
        Ok(Ok(_)) | Err(PoolError::QueueFull) => reservation.cancelled(),
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
    render(&req, &state, &s, &user, msg, err.as_deref(), status).await
}
