//! The background task that seals new audit rows into the hash chain
//! (`oidc::audit_chain`), off the request path.

use crate::oidc::audit_chain::seal_pending;
use crate::state::AppState;
use std::time::Duration;

/// How long a new audit row stays unsealed at most (while the server runs).
pub const SEAL_EVERY: Duration = Duration::from_secs(1);

/// Seal what was written since the last round, every [`SEAL_EVERY`], until the task is dropped.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(SEAL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Say a failure once, not every second, until sealing works again.
    let mut failing = false;
    loop {
        tick.tick().await;
        let store = state.store.clone();
        let res = tokio::task::spawn_blocking(move || seal_pending(&store)).await;
        match res {
            Ok(Ok(n)) => {
                if failing {
                    tracing::info!("sealing the audit log works again");
                }
                failing = false;
                if n > 0 {
                    tracing::debug!(rows = n, "sealed audit rows");
                }
            }
            Ok(Err(e)) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "sealing the audit log failed; retrying every second");
            }
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "the audit sealing task failed; retrying every second");
            }
            _ => {}
        }
    }
}
