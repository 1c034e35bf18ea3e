//! Delivering back-channel logout notifications from the outbox: in the background, with a
//! short timeout and a few retries, never on the user's request path.

use crate::crypto::keys::Alg;
use crate::oidc::backchannel::logout_token;
use crate::state::AppState;
use crate::store::{StoreError, audit, backchannel, clients};
use std::time::Duration;

/// Attempts per notification, and the wait before each retry.
const MAX_ATTEMPTS: i64 = 4;
const BACKOFF_SECS: [i64; 4] = [2, 10, 60, 300];
const TIMEOUT: Duration = Duration::from_secs(5);

/// One delivery pass over what is due. Returns how many were delivered.
pub async fn deliver_due(state: &AppState, http: &reqwest::Client) -> Result<usize, StoreError> {
    let st = state.clone();
    let due = tokio::task::spawn_blocking(move || {
        let now = st.clock.now();
        st.store.read(|c| {
            let items = backchannel::list_due_outbox(c, now, 50)?;
            items
                .into_iter()
                .map(|i| Ok((clients::get_client_by_pk(c, i.client_pk)?, i)))
                .collect::<Result<Vec<_>, StoreError>>()
        })
    })
    .await
    .map_err(|e| StoreError::Corrupt(e.to_string()))??;

    let mut delivered = 0;
    for (client, item) in due {
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            finish(state, item.id, None).await?;
            continue;
        };
        let now = state.clock.now();
        let alg = Alg::parse(&client.id_token_alg).unwrap_or(Alg::RS256);
        let outcome = match logout_token(
            &state.keys(),
            &state.settings,
            alg,
            &client.client_id,
            &item.subject,
            &item.sid,
            now,
        ) {
            Ok(token) => send(http, &uri, &token).await,
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(()) => {
                delivered += 1;
                tracing::info!(client = %client.client_id, reason = %item.reason, "back-channel logout delivered");
                finish(state, item.id, None).await?;
            }
            Err(why) if item.attempts + 1 >= MAX_ATTEMPTS => {
                tracing::warn!(client = %client.client_id, error = %why, "back-channel logout failed; giving up");
                finish(state, item.id, Some((client.client_id.clone(), why))).await?;
            }
            Err(why) => {
                tracing::warn!(client = %client.client_id, error = %why, attempt = item.attempts + 1, "back-channel logout failed; will retry");
                let next = now + BACKOFF_SECS[item.attempts.clamp(0, 3) as usize];
                let st = state.clone();
                tokio::task::spawn_blocking(move || {
                    st.store
                        .write(|c| backchannel::reschedule_outbox(c, item.id, next))
                })
                .await
                .map_err(|e| StoreError::Corrupt(e.to_string()))??;
            }
        }
    }
    Ok(delivered)
}

async fn send(http: &reqwest::Client, uri: &str, token: &str) -> Result<(), String> {
    let res = http
        .post(uri)
        .timeout(TIMEOUT)
        .form(&[("logout_token", token)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", res.status()))
    }
}

/// Remove a finished notification; a failure is also audited.
async fn finish(
    state: &AppState,
    id: i64,
    failure: Option<(String, String)>,
) -> Result<(), StoreError> {
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        st.store.write(|c| {
            backchannel::delete_outbox(c, id)?;
            if let Some((client_id, why)) = failure {
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at: st.clock.now(),
                        kind: "backchannel_logout.failed".into(),
                        client_id: Some(client_id),
                        detail: Some(why),
                        ..Default::default()
                    },
                )?;
            }
            Ok(())
        })
    })
    .await
    .map_err(|e| StoreError::Corrupt(e.to_string()))?
}

/// The delivery loop: wakes when nudged (a logout just happened) or every few seconds
/// (notifications queued by the CLI, retries).
pub async fn run(state: AppState) {
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the back-channel HTTP client");
            return;
        }
    };
    loop {
        if let Err(e) = deliver_due(&state, &http).await {
            tracing::warn!(error = %e, "back-channel delivery pass failed");
        }
        tokio::select! {
            _ = state.outbox_nudge.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
