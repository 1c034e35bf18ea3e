//! Delivering back-channel logout notifications from the outbox: in the background, with a
//! short timeout and a few retries, never on the user's request path.
//!
//! Each app with due notices gets a worker that sends them one after another, oldest first;
//! workers for different apps run side by side, at most [`MAX_IN_FLIGHT`] at a time, so an app
//! that hangs until the timeout delays only its own notices.

use crate::crypto::keys::Alg;
use crate::metrics::Delivery;
use crate::oidc::backchannel::logout_token;
use crate::state::AppState;
use crate::store::backchannel::OutboxItem;
use crate::store::clients::Client;
use crate::store::{StoreError, audit, backchannel, clients};
use std::collections::HashMap;
use std::time::Duration;
use tokio::task::{Id, JoinSet};

/// Attempts per notification, and the wait before each retry.
const MAX_ATTEMPTS: i64 = 4;
const BACKOFF_SECS: [i64; 4] = [2, 10, 60, 300];
const TIMEOUT: Duration = Duration::from_secs(5);
/// Apps being notified at once (each with at most one request in flight).
const MAX_IN_FLIGHT: usize = 8;
/// Due notices read per look at the outbox.
const BATCH: i64 = 50;
/// How long the loop waits between looks when nothing wakes it, and how long a worker that hit
/// a store error keeps its app's slot.
const RETRY_PAUSE: Duration = Duration::from_secs(5);

/// How long claimed notices stay not due for anyone else (another node, this one after a
/// crash), besides [`TIMEOUT`] per notice: longer than their worker can take.
const LEASE_SECS: i64 = 60;

/// Due notices of at most `slots` apps other than `busy` (apps that already have a worker),
/// grouped per app, oldest first within each, and claimed: with several nodes on one database
/// each notice is taken by one node (see `backchannel::claimable_outbox`), then delivered,
/// rescheduled or given up by it. A node that dies with notices in hand leaves them due again
/// once their lease ends.
async fn due_by_client(
    state: &AppState,
    busy: Vec<i64>,
    slots: usize,
) -> Result<Vec<(Client, Vec<OutboxItem>)>, StoreError> {
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let now = st.clock.now();
        st.store.write(|c| {
            let mut groups: Vec<(i64, Vec<OutboxItem>)> = Vec::new();
            for item in backchannel::claimable_outbox(c, now, &busy, BATCH)? {
                if let Some(i) = groups.iter().position(|(pk, _)| *pk == item.client_pk) {
                    groups[i].1.push(item);
                } else if groups.len() < slots {
                    groups.push((item.client_pk, vec![item]));
                } // else no free worker: left for a later look
            }
            for (_, items) in &groups {
                let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
                let lease = LEASE_SECS + TIMEOUT.as_secs() as i64 * ids.len() as i64;
                backchannel::lease_outbox(c, &ids, now + lease)?;
            }
            groups
                .into_iter()
                .map(|(pk, items)| Ok((clients::get_client_by_pk(c, pk)?, items)))
                .collect::<Result<Vec<_>, StoreError>>()
        })
    })
    .await
    .map_err(|e| StoreError::Corrupt(e.to_string()))?
}

/// Send one app's notices in order: each is delivered, rescheduled, or given up and audited.
async fn deliver_to_client(
    state: &AppState,
    http: &reqwest::Client,
    client: Client,
    items: Vec<OutboxItem>,
) -> Result<(), StoreError> {
    for item in items {
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            state.metrics.delivery(Delivery::Dropped);
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
                state.metrics.delivery(Delivery::Delivered);
                tracing::info!(client = %client.client_id, reason = %item.reason, "back-channel logout delivered");
                finish(state, item.id, None).await?;
            }
            Err(why) if item.attempts + 1 >= MAX_ATTEMPTS => {
                state.metrics.delivery(Delivery::GaveUp);
                tracing::warn!(client = %client.client_id, error = %why, "back-channel logout failed; giving up");
                finish(state, item.id, Some((client.client_id.clone(), why))).await?;
            }
            Err(why) => {
                state.metrics.delivery(Delivery::Retry);
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
    Ok(())
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

/// The delivery loop: looks at the outbox when nudged (a logout just happened), when a worker
/// finishes, or every few seconds (notifications queued by the CLI, retries), and starts a
/// worker for each app with due notices that has none yet. When `quitting` turns true (the
/// server is stopping) it starts no more workers and returns once the running ones finish.
pub async fn run(state: AppState, mut quitting: tokio::sync::watch::Receiver<bool>) {
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
    let mut workers = JoinSet::new();
    // Which app each running worker serves.
    let mut serving: HashMap<Id, i64> = HashMap::new();
    loop {
        if *quitting.borrow() {
            // Each worker records its notice's outcome before it ends; one cut off by the
            // caller's deadline stays in the outbox for the next start.
            while workers.join_next().await.is_some() {}
            return;
        }
        let slots = MAX_IN_FLIGHT.saturating_sub(serving.len());
        if slots > 0 {
            let busy = serving.values().copied().collect();
            match due_by_client(&state, busy, slots).await {
                Ok(due) => {
                    for (client, items) in due {
                        let pk = client.id;
                        let (st, http) = (state.clone(), http.clone());
                        let worker = workers.spawn(async move {
                            if let Err(e) = deliver_to_client(&st, &http, client, items).await {
                                tracing::warn!(error = %e, "back-channel delivery failed");
                                // Keep the app's slot a while: a store that keeps failing must
                                // not turn into a loop re-sending the same notice.
                                tokio::time::sleep(RETRY_PAUSE).await;
                            }
                        });
                        serving.insert(worker.id(), pk);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "back-channel delivery pass failed"),
            }
        }
        tokio::select! {
            _ = state.outbox_nudge.notified() => {}
            _ = quitting.changed() => {}
            _ = tokio::time::sleep(RETRY_PAUSE) => {}
            Some(done) = workers.join_next_with_id() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => {
                        tracing::warn!(error = %e, "back-channel worker stopped");
                        e.id()
                    }
                };
                serving.remove(&id);
            }
        }
    }
}
