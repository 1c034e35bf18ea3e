//! /admin: the admin pages. Each handler runs [`admin::gate`] first, in the transaction of its
//! work: a non-admin gets a 403 page for every GET and POST, an admin whose sign-in is older
//! than `admin_reauth_secs` is sent to sign in again.

pub mod dashboard;
pub mod elsewhere;

use crate::oidc::admin::{self, Gate};
use crate::state::AppState;
use crate::store::users::User;
use crate::store::{StoreError, Tx};
use crate::web::handlers::authorize::see_other;
use crate::web::{cookies, error};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

const LOGIN: &str = "/login?next=/admin";
const REAUTH: &str = "/login?reauth=1&next=/admin";
const SECOND_FACTOR: &str = "/login/second-factor?next=/admin";

/// The answer to a browser that may not use `/admin` (now).
fn refused(gate: Gate) -> HttpResponse {
    match gate {
        Gate::NotSignedIn => see_other(LOGIN),
        Gate::SecondFactorDue => see_other(SECOND_FACTOR),
        Gate::Stale => see_other(REAUTH),
        Gate::Forbidden | Gate::Admin(_) => error::page(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "These pages are for administrators. Ask one of them if you need a change.",
        ),
    }
}

/// Run the gate and then `work` for the admin, in one write transaction, off the executor.
/// Err: the answer instead (a redirect to sign in, the 403 page, or a store failure).
pub(super) async fn as_admin<T: Send + 'static>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    work: impl FnOnce(&Tx<'_>, &User, i64) -> Result<T, StoreError> + Send + 'static,
) -> Result<(User, T), HttpResponse> {
    let cookie = cookies::read(req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let done = web::block(move || {
        let now = st.clock.now();
        st.store.write(
            |c| match admin::gate(c, &st.settings, cookie.as_deref(), now)? {
                Gate::Admin(user) => {
                    let out = work(c, &user, now)?;
                    Ok(Ok((*user, out)))
                }
                other => Ok(Err(other)),
            },
        )
    })
    .await;
    match done {
        Ok(Ok(Ok(found))) => Ok(found),
        Ok(Ok(Err(gate))) => Err(refused(gate)),
        Ok(Err(e)) => Err(error::store(e)),
        Err(e) => Err(error::internal(e)),
    }
}
