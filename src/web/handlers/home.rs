use crate::oidc::login;
use crate::state::AppState;
use crate::web::templates::{HomePage, Page};
use crate::web::{cookies, headers};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

/// The landing page: who is signed in, if anyone.
pub async fn get_home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let cookie = cookies::read(&req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let username = web::block(move || {
        let ck = cookie?;
        let now = st.clock.now();
        st.store
            .read(|c| login::current_session(c, &ck, &st.settings, now))
            .ok()
            .flatten()
            .map(|(_, u)| u.username)
    })
    .await
    .ok()
    .flatten();
    headers::html(
        StatusCode::OK,
        HomePage {
            username: username.as_deref().unwrap_or(""),
        }
        .render_html(),
        &[],
    )
}
