use crate::oidc::error::OAuthError;
use crate::oidc::token;
use crate::state::AppState;
use crate::web::{error, extract, headers};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_token(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    let auth = extract::authorization(&req);
    let basic_used = auth.is_some();
    let params = extract::form(&body);
    let st = state.clone();
    let result = web::block(move || {
        token::handle(
            &st.store,
            &st.keys(),
            &st.settings,
            st.clock.now(),
            auth.as_deref(),
            &params,
        )
    })
    .await
    .unwrap_or_else(|e| Err(OAuthError::server_error(e)));
    match result {
        Ok(resp) => {
            let mut res = HttpResponse::Ok();
            headers::no_store(&mut res);
            res.json(resp)
        }
        Err(e) => error::oauth_json(&e, basic_used),
    }
}
