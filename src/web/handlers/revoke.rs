use crate::oidc::revoke;
use crate::state::AppState;
use crate::web::client_endpoint::call_cors;
use crate::web::headers;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

pub async fn post_revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    call_cors(&req, &state, &body, revoke::revoke)
        .await
        .respond(|()| {
            let mut res = HttpResponse::Ok();
            headers::no_store(&mut res);
            res.finish()
        })
}
