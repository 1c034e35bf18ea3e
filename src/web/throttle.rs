//! The sign-in throttle from handlers that have no store step of their own around the password
//! check: its counters are in the database, so reserving and settling are store writes, run
//! off the async threads like every other.

use crate::oidc::login_throttle::{Attempt, Refused, Reservation};
use crate::state::AppState;
use crate::store::StoreError;
use actix_web::error::BlockingError;
use actix_web::web;

/// What a reservation of its own came to: a reservation, a refusal, or a failed step.
pub type Begun = Result<Result<Result<Reservation, Refused>, StoreError>, BlockingError>;

/// Reserve a password check for `attempt` in a write of its own.
pub async fn begin(state: &web::Data<AppState>, attempt: Attempt, now: i64) -> Begun {
    let st = state.clone();
    // A counter lost on a power cut costs nothing worth an fsync wait before every password
    // check (a block that is audited still waits: see `Store::write_short_lived`).
    web::block(move || {
        st.store
            .write_short_lived(|c| st.throttle.begin(c, &attempt, now))
    })
    .await
}

/// How a reservation ended, when that is not settled in a write the handler makes anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    Succeeded,
    Cancelled,
}

/// Settle `r` in a write of its own. A failure to settle is logged, not shown: the attempt
/// then stays counted, which is the safe side.
pub async fn settle(state: &web::Data<AppState>, r: Reservation, how: Settle) {
    let st = state.clone();
    let done = web::block(move || {
        st.store.write_short_lived(|c| match how {
            Settle::Succeeded => r.succeeded(c),
            Settle::Cancelled => r.cancelled(c),
        })
    })
    .await;
    if !matches!(done, Ok(Ok(()))) {
        tracing::warn!(?how, "could not settle a sign-in throttle reservation");
    }
}
