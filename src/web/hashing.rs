//! Password hashing and checking (argon2id, ~19 MiB and tens of milliseconds each) runs on the
//! blocking pool, but at most one job per core at a time: the rest wait here, asynchronously.

use crate::state::AppState;
use actix_web::error::BlockingError;
use actix_web::web;
use tokio::sync::Semaphore;

/// Run `f` (which hashes or verifies a password) once one of the state's slots is free.
pub async fn with_password_slot<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, BlockingError> {
    with_slot(&state.password_slots, f).await
}

/// Run `f` on the blocking pool while holding a permit of `slots`.
pub async fn with_slot<T: Send + 'static>(
    slots: &Semaphore,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, BlockingError> {
    // The semaphore is never closed, so acquiring only ever waits; were it closed, the work
    // would still run rather than fail the request.
    let _permit = slots.acquire().await.ok();
    web::block(f).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[actix_web::test]
    async fn no_more_jobs_run_at_once_than_there_are_slots() {
        let slots = Arc::new(Semaphore::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|_| {
            let (slots, running, peak) = (slots.clone(), running.clone(), peak.clone());
            async move {
                with_slot(&slots, move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }
        });
        let done = futures_util::future::join_all(jobs).await;
        assert_eq!(
            done.iter().filter(|r| r.is_ok()).count(),
            8,
            "every job ran"
        );
        assert_eq!(peak.load(Ordering::SeqCst), 2, "at most two at once");
    }
}
