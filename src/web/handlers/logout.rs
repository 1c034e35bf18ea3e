//! /logout (GET and POST): OIDC RP-Initiated Logout 1.0, advertised as end_session_endpoint.
//! With a valid id_token_hint for the signed-in user we sign out at once; otherwise we ask on a
//! CSRF-protected page, so a third-party page cannot sign people out.

use crate::oidc::login;
use crate::oidc::params::Params;
use crate::oidc::rp_logout::{self, LogoutRequest};
use crate::oidc::session_end;
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::templates::{LogoutPage, Page, SignedOutPage};
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let p = extract::query(&req);
    serve(req, state, p, false).await
}

pub async fn post_logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let p = extract::form(&body);
    // Our own confirmation form says confirm=yes; an RP may also POST the logout request.
    let confirmed = p.get("confirm") == Some("yes");
    if confirmed && !csrf::verify(&req, &state.settings, p.get("csrf_token")) {
        return error::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Reload the page and try again.",
        );
    }
    serve(req, state, p, confirmed).await
}

enum Decision {
    Invalid(&'static str),
    Confirm(LogoutRequest, String),
    Done(LogoutRequest),
}

async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    p: Params,
    confirmed: bool,
) -> HttpResponse {
    let cookie = cookies::read(&req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let decided = web::block(move || -> Result<Decision, StoreError> {
        let now = st.clock.now();
        let ring = st.keys();
        let lr = match st
            .store
            .read(|c| rp_logout::check(c, &ring, &st.settings, &p))?
        {
            Ok(lr) => lr,
            Err(msg) => return Ok(Decision::Invalid(msg)),
        };
        // A session with its second factor still due can be ended too.
        let session = match cookie {
            Some(ck) => st
                .store
                .read(|c| login::browser_session(c, &ck, &st.settings, now))?
                .map(|b| (b.session, b.user)),
            None => None,
        };
        let Some((s, user)) = session else {
            return Ok(Decision::Done(lr));
        };
        let hint_matches = lr.hint_sub.as_deref() == Some(user.subject.as_str());
        if !confirmed && !hint_matches {
            return Ok(Decision::Confirm(lr, user.username));
        }
        st.store
            .write(|c| session_end::end_session(c, &s, &user.subject, "logout", now))?;
        st.outbox_nudge.notify_one();
        Ok(Decision::Done(lr))
    })
    .await;
    let decision = match decided {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    match decision {
        Decision::Invalid(msg) => error::page(
            StatusCode::BAD_REQUEST,
            "This sign-out request is not valid",
            msg,
        ),
        Decision::Confirm(lr, username) => confirm_page(&req, &state, &lr, &username),
        Decision::Done(lr) => {
            let mut res = match &lr.redirect {
                Some(uri) => HttpResponse::Found()
                    .insert_header((
                        "Location",
                        rp_logout::redirect_url(uri, lr.state.as_deref()),
                    ))
                    .insert_header(("Cache-Control", "no-store"))
                    .finish(),
                None => {
                    let note = lr.redirect_refused.then_some(
                        "The application asked to send you to an address it has not registered, so you stay here.",
                    );
                    let app = lr.client.as_ref().map(|c| c.name.as_str());
                    headers::html(
                        StatusCode::OK,
                        SignedOutPage {
                            app_name: app.unwrap_or(""),
                            note: note.unwrap_or(""),
                        }
                        .render_html(),
                        &[],
                    )
                }
            };
            let _ = res.add_cookie(&cookies::removal(&state.settings, cookies::SESSION));
            let _ = res.add_cookie(&cookies::removal(&state.settings, cookies::CSRF));
            res
        }
    }
}

fn confirm_page(
    req: &HttpRequest,
    state: &AppState,
    lr: &LogoutRequest,
    username: &str,
) -> HttpResponse {
    let (token, cookie) = csrf::token_for_form(req, &state.settings);
    let body = LogoutPage {
        app_name: lr.client.as_ref().map_or("", |c| c.name.as_str()),
        username,
        csrf: &token,
        client_id: lr.client.as_ref().map_or("", |c| c.client_id.as_str()),
        post_logout_redirect_uri: lr.redirect.as_deref().unwrap_or(""),
        state: lr.state.as_deref().unwrap_or(""),
    }
    .render_html();
    let targets: Vec<String> = lr.redirect.iter().cloned().collect();
    let mut res = headers::html(StatusCode::OK, body, &targets);
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}
