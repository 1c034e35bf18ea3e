//! GET /welcome[?app=CLIENT_ID]: after accepting an invite, where to go: the app it was for
//! (its name, and the origin of its first redirect URI), or the account page.

use crate::oidc::links;
use crate::oidc::login;
use crate::state::AppState;
use crate::web::handlers::authorize::see_other;
use crate::web::templates::{MessagePage, Page};
use crate::web::{cookies, error, extract, headers};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn get_welcome(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let cookie = cookies::read(&req, &state.settings, cookies::SESSION);
    let app = extract::query(&req).get("app").map(str::to_owned);
    let st = state.clone();
    let now = state.clock.now();
    let found = web::block(move || {
        st.store.read(|c| {
            let signed_in = match cookie.as_deref() {
                Some(ck) => login::current_session(c, ck, &st.settings, now)?,
                None => None,
            };
            let dest = links::destination(c, app.as_deref())?;
            Ok(signed_in.map(|(_, user)| (user, dest)))
        })
    })
    .await;
    let (user, dest) = match found {
        Ok(Ok(Some(x))) => x,
        Ok(Ok(None)) => return see_other("/login?next=/account"),
        Ok(Err(e)) => return error::store(e),
        Err(e) => return error::internal(e),
    };
    let (message, link_text) = match &dest.app_name {
        Some(app) => (
            format!(
                "You are signed in as {}. You can now use {app}.",
                user.username
            ),
            format!("Continue to {app}"),
        ),
        None => (
            format!(
                "You are signed in as {}. On your account page you can add a passkey or a second factor, and see where you are signed in.",
                user.username
            ),
            "Go to your account".to_owned(),
        ),
    };
    let body = MessagePage {
        title: "You are all set",
        message: &message,
        link_url: &dest.url,
        link_text: &link_text,
    }
    .render_html();
    headers::html(StatusCode::OK, body, &[])
}
