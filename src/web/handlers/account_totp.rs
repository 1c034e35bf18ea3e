//! /account/totp: set up an authenticator app (GET shows the QR code, POST confirms it with a
//! current code), /account/totp/remove turns it off, /account/recovery-codes makes new
//! recovery codes. Each needs a fresh sign-in (`reauth_secs`): an older one is sent to sign in
//! again first.

use super::account::{checked_form, form_expired, render, step};
use super::authorize::see_other;
use crate::oidc::account::{self, Action, Page as AccountView};
use crate::oidc::mfa::recovery;
use crate::oidc::mfa::totp::{self, Confirmed, Enrolment, Removed};
use crate::state::AppState;
use crate::web::templates::{AccountTotpPage, Page, RecoveryCodesPage};
use crate::web::{cookies, csrf, error, headers, qr};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// Where an old sign-in goes to sign in again, coming back to `next`.
fn reauth(next: &str) -> HttpResponse {
    let q = serde_urlencoded::to_string([("next", next), ("reauth", "1")]).unwrap_or_default();
    see_other(&format!("/login?{q}"))
}

/// The signed-in account page state, when the sign-in is fresh; else the answer instead.
async fn fresh(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    next: &str,
) -> Result<AccountView, HttpResponse> {
    let (_, page) = step(req, state, Action::Show).await?;
    if account::is_fresh(&page.session, &state.settings, state.clock.now()) {
        Ok(page)
    } else {
        Err(reauth(next))
    }
}

fn setup_page(
    req: &HttpRequest,
    state: &AppState,
    page: &AccountView,
    e: &Enrolment,
    err: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let svg = qr::svg(&e.uri);
    let body = AccountTotpPage {
        username: &page.user.username,
        error: err.unwrap_or(""),
        csrf: &token,
        qr_svg: &svg,
        secret: &e.secret,
        otpauth_uri: &e.uri,
        enrolment: &e.token,
    }
    .render_html();
    let mut res = headers::html(status, body, &[]);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

fn codes_page(username: &str, message: &str, codes: Vec<String>) -> HttpResponse {
    let body = RecoveryCodesPage {
        message,
        username,
        codes,
        continue_url: "/account",
    }
    .render_html();
    headers::html(StatusCode::OK, body, &[])
}

/// GET /account/totp: a new seed and its QR code.
pub async fn get_account_totp(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let page = match fresh(&req, &state, "/account/totp").await {
        Ok(p) => p,
        Err(res) => return res,
    };
    if page.overview.factors.totp_since.is_some() {
        return see_other("/account");
    }
    let e = totp::start(
        &state.secret_key,
        &state.settings,
        &page.user,
        state.clock.now(),
    );
    setup_page(&req, &state, &page, &e, None, StatusCode::OK)
}

/// POST /account/totp: the first code confirms the app; the recovery codes are shown once.
pub async fn post_account_totp(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let Some(form) = checked_form(&req, &state, &body) else {
        return form_expired();
    };
    let page = match fresh(&req, &state, "/account/totp").await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let token = form.get("enrolment").unwrap_or("").to_owned();
    let typed = form.get("code").unwrap_or("").to_owned();
    let now = state.clock.now();
    let st = state.clone();
    let (session, user, tok) = (page.session.clone(), page.user.clone(), token.clone());
    let done = web::block(move || {
        st.store.write(|c| {
            account::enrol_totp(
                c,
                &st.settings,
                &st.secret_key,
                &session,
                &user,
                &tok,
                &typed,
                now,
            )
        })
    })
    .await;
    let (confirmed, secret) = match done {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let key = &state.secret_key;
    match confirmed {
        Confirmed::Done { recovery_codes } => {
            let mut res = codes_page(
                &page.user.username,
                "Two-factor sign-in is on: your authenticator app now gives you a code each time you sign in.",
                recovery_codes,
            );
            if let Some(s) = secret {
                let _ = res.add_cookie(&cookies::session(&state.settings, s));
            }
            res
        }
        Confirmed::WrongCode => {
            let e = totp::resume(key, &state.settings, &page.user, &token, now)
                .unwrap_or_else(|| totp::start(key, &state.settings, &page.user, now));
            let msg = "That code is not right. Check that your app shows this account, and type its current code.";
            setup_page(&req, &state, &page, &e, Some(msg), StatusCode::BAD_REQUEST)
        }
        Confirmed::Expired => {
            let e = totp::start(key, &state.settings, &page.user, now);
            let msg = "This setup page was open too long. Scan the new QR code and try again.";
            setup_page(&req, &state, &page, &e, Some(msg), StatusCode::BAD_REQUEST)
        }
        Confirmed::AlreadySetUp => see_other("/account"),
    }
}

/// POST /account/totp/remove: turn the authenticator app off (and its recovery codes).
pub async fn post_account_totp_remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    if checked_form(&req, &state, &body).is_none() {
        return form_expired();
    }
    let page = match fresh(&req, &state, "/account").await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let (st, user) = (state.clone(), page.user.clone());
    let removed = web::block(move || {
        let now = st.clock.now();
        st.store
            .write(|c| totp::remove(c, &st.settings, &user, now))
    })
    .await;
    let (msg, err, status) = match removed {
        Ok(Ok(Removed::Done)) => (
            Some("The authenticator app was turned off. You sign in with your password alone."),
            None,
            StatusCode::OK,
        ),
        Ok(Ok(Removed::NotSetUp)) => (
            None,
            Some("No authenticator app is set up."),
            StatusCode::NOT_FOUND,
        ),
        Ok(Ok(Removed::Required)) => (
            None,
            Some("Your administrator requires two-factor sign-in, so it cannot be turned off."),
            StatusCode::FORBIDDEN,
        ),
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    match step(&req, &state, Action::Show).await {
        Ok((_, page)) => render(&req, &state, &page, msg, err, status),
        Err(res) => res,
    }
}

/// POST /account/recovery-codes: new codes (the old ones stop working), shown once.
pub async fn post_recovery_codes(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    if checked_form(&req, &state, &body).is_none() {
        return form_expired();
    }
    let page = match fresh(&req, &state, "/account").await {
        Ok(p) => p,
        Err(res) => return res,
    };
    if page.overview.factors.totp_since.is_none() {
        let msg = "Set up an authenticator app first: recovery codes stand in for it.";
        return render(
            &req,
            &state,
            &page,
            None,
            Some(msg),
            StatusCode::BAD_REQUEST,
        );
    }
    let (st, user) = (state.clone(), page.user.clone());
    let made = web::block(move || {
        let now = st.clock.now();
        st.store
            .write(|c| recovery::generate(c, &st.secret_key, &user, now))
    })
    .await;
    match made {
        Ok(Ok(codes)) => codes_page(
            &page.user.username,
            "New recovery codes: the old ones no longer work.",
            codes,
        ),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}
