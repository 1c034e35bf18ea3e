//! The pages of one-time links (one endpoint per file): `/invite/<token>` (a password, or a
//! passkey through `/invite/<token>/passkey/{begin,finish}`), `/welcome` after it,
//! `/reset/<token>`, `/login/forgot`, `/verify-email/<token>`. A link that is unknown, used
//! or expired is a 410 page, never a 500.

pub mod forgot_page;
pub mod forgot_post;
pub mod invite_page;
pub mod invite_passkey_begin;
pub mod invite_passkey_finish;
pub mod invite_password;
pub mod reset_page;
pub mod reset_password;
pub mod verify_page;
pub mod verify_post;
pub mod welcome;

use crate::oidc::account::{PasswordChange, new_password_problem};
use crate::oidc::interaction::sign_in::SignedIn;
use crate::oidc::links::{self, Opened};
use crate::state::AppState;
use crate::store::links::{LinkKind, Unusable};
use crate::web::handlers::authorize::see_other;
use crate::web::{cookies, error};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

/// The token in the path (`{token}`).
pub fn token(req: &HttpRequest) -> String {
    req.match_info().get("token").unwrap_or("").to_owned()
}

/// A link that cannot be used: 410, saying why.
pub fn gone(why: Unusable) -> HttpResponse {
    let message = match why {
        Unusable::Used => "This link was used already. Each link works once.",
        Unusable::Expired => "This link has expired.",
        Unusable::Unknown => "This link is not valid. Check that you copied it whole.",
    };
    let next =
        " Ask your administrator for a new one, or use “Forgot password?” on the sign-in page.";
    error::page(
        StatusCode::GONE,
        "This link no longer works",
        &format!("{message}{next}"),
    )
}

/// The link behind the request's token, if usable. Err: the page to answer (410, or a
/// store failure).
pub async fn open(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    kind: LinkKind,
) -> Result<Opened, HttpResponse> {
    let (st, tok) = (state.clone(), token(req));
    let now = state.clock.now();
    match web::block(move || st.store.read(|c| links::open(c, &tok, kind, now))).await {
        Ok(Ok(Ok(o))) => Ok(o),
        Ok(Ok(Err(why))) => Err(gone(why)),
        Ok(Err(e)) => Err(error::store(e)),
        Err(e) => Err(error::internal(e)),
    }
}

/// What is wrong with a new password typed twice, in the account page's words.
pub fn password_problem(new: &str, confirm: &str) -> Option<String> {
    match new_password_problem(new, confirm)? {
        PasswordChange::Mismatch => Some("The two passwords are not the same.".to_owned()),
        PasswordChange::Weak(why) => Some(format!("Choose another password: {why}.")),
        _ => None,
    }
}

/// The answer to a sign-in by invite: on to `go` (through the second factor when the user's
/// policy asks for one first), with the new session, known-browser and CSRF cookies.
pub fn signed_in(state: &AppState, signed: SignedIn, go: &str) -> HttpResponse {
    let next = if signed.second_factor_due {
        let q = serde_urlencoded::to_string([("next", go)]).unwrap_or_default();
        format!("/{}?{q}", crate::oidc::interaction::SECOND_FACTOR_PAGE)
    } else {
        go.to_owned()
    };
    let mut res = see_other(&next);
    add_sign_in_cookies(&mut res, state, signed);
    res
}

pub fn add_sign_in_cookies(res: &mut HttpResponse, state: &AppState, signed: SignedIn) {
    let _ = res.add_cookie(&cookies::session(&state.settings, signed.session_secret));
    if let Some(b) = signed.new_browser {
        let _ = res.add_cookie(&cookies::browser(&state.settings, b));
    }
    let _ = res.add_cookie(&cookies::csrf(
        &state.settings,
        crate::crypto::random::token(),
    ));
}

/// `/welcome`, for the app an invite was for (if any).
pub fn welcome_path(client_id: Option<&str>) -> String {
    match client_id {
        Some(id) => format!(
            "/welcome?{}",
            serde_urlencoded::to_string([("app", id)]).unwrap_or_default()
        ),
        None => "/welcome".to_owned(),
    }
}
