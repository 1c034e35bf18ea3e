//! POST /login/forgot: mail a reset link to the account named (by username or email address).
//! The answer is the same page whether the account exists or not; requests are counted per
//! client address and per name typed (`oidc::throttle`), over the limit 429 with `Retry-After`.

use super::forgot_page::{no_mail, render};
use crate::metrics::Throttle as ThrottleKind;
use crate::oidc::links;
use crate::oidc::throttle::{Key, source};
use crate::state::AppState;
use crate::web::{csrf, error, extract};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// Requests one client address may make before waits start (1 s, 2 s, 4 s, ...).
const FREE_PER_ADDRESS: u32 = 10;
/// Requests for one account (as typed) before waits start: a second mail is fine, a stream
/// of them is not.
const FREE_PER_ACCOUNT: u32 = 2;

pub async fn post_forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    if !crate::oidc::mail::enabled(&state.settings) {
        return no_mail();
    }
    let form = extract::form(&body);
    let typed: String = form
        .get("username")
        .unwrap_or("")
        .trim()
        .chars()
        .take(254)
        .collect();
    if !csrf::verify(&req, &state.settings, form.get("csrf_token")) {
        let msg = "This form expired. Please try again.";
        return render(
            &req,
            &state,
            false,
            &typed,
            Some(msg),
            StatusCode::FORBIDDEN,
        );
    }
    if typed.is_empty() {
        let msg = "Type your username or email address.";
        return render(&req, &state, false, "", Some(msg), StatusCode::BAD_REQUEST);
    }
    let info = extract::client_info(&req, &state.settings);
    let now = state.clock.now();
    let keys = [
        Key::new(
            format!("forgot:addr:{}", source(info.ip.as_deref())),
            FREE_PER_ADDRESS,
        ),
        Key::new(
            format!("forgot:account:{}", typed.to_lowercase()),
            FREE_PER_ACCOUNT,
        ),
    ];
    // Counted in the database, in the same write as the request: shared by every node.
    let st = state.clone();
    let name = typed.clone();
    let done = web::block(move || {
        st.store.write(|c| {
            if let Some(wait) = st.forgot_throttle.retry_after(c, &keys, now)? {
                return Ok(Err(wait));
            }
            st.forgot_throttle.record_failure(c, &keys, now)?;
            links::forgot_password(c, &st.settings, &st.secret_key, &name, &info, now)?;
            Ok::<_, crate::store::StoreError>(Ok(()))
        })
    })
    .await;
    match done {
        Ok(Ok(Ok(()))) => {
            state.mail_nudge.notify_one();
            render(&req, &state, true, "", None, StatusCode::OK)
        }
        Ok(Ok(Err(wait))) => {
            state.metrics.throttled(ThrottleKind::LoginWait);
            let msg = format!("Too many requests. Wait {wait} seconds and try again.");
            let mut res = render(
                &req,
                &state,
                false,
                &typed,
                Some(&msg),
                StatusCode::TOO_MANY_REQUESTS,
            );
            res.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(wait.max(1)));
            res
        }
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}
