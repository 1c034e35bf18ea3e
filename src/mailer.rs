//! Sending the mail queue (`oidc::mail` queues): in the background, never on a request path.
//! A failed attempt is retried 5 s later, then 10 s, 20 s, ... at most 10 minutes apart; after
//! 24 hours (or at once, for a permanent refusal such as an unknown recipient) the mail is
//! given up and audited (`mail.failed`). A mail is deleted once the server took it, so a
//! restart sends what was left (a crash between the two may send one mail twice).

pub mod compose;
pub mod transport;

use crate::state::AppState;
use crate::store::mail_queue::{self, QueuedMail};
use crate::store::{StoreError, audit};
use std::time::Duration;

/// The first retry's wait; each further one doubles, up to [`MAX_BACKOFF_SECS`].
pub const FIRST_BACKOFF_SECS: i64 = 5;
pub const MAX_BACKOFF_SECS: i64 = 600;
/// A mail still failing this long after it was queued is given up.
pub const GIVE_UP_AFTER_SECS: i64 = 86_400;
/// How often the queue is looked at when nothing wakes the sender (mail queued by the CLI,
/// retries coming due).
const POLL: Duration = Duration::from_secs(5);
const BATCH: i64 = 20;

/// The wait before the next attempt, after `failures` failed ones (1 for the first failure).
pub fn backoff_secs(failures: i64) -> i64 {
    let shift = (failures - 1).clamp(0, 20) as u32;
    (FIRST_BACKOFF_SECS << shift).min(MAX_BACKOFF_SECS)
}

/// What became of one attempt.
#[derive(Debug)]
enum Outcome {
    Sent,
    /// Try again later.
    Failed(String),
    /// Never going to work (a permanent SMTP refusal, a link that no longer opens).
    Hopeless(String),
}

/// The sender: waits for mail (nudged after a page queued some, or every few seconds) and sends
/// it one by one, oldest first. Returns when `quitting` turns true, after the mail in hand.
pub async fn run(state: AppState, mut quitting: tokio::sync::watch::Receiver<bool>) {
    let transport = match transport::build(&state.settings) {
        Ok(Some(t)) => t,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "mail cannot be sent");
            return;
        }
    };
    tracing::info!("mail sender started");
    loop {
        if *quitting.borrow() {
            return;
        }
        match due(&state).await {
            Ok(list) => {
                for mail in list {
                    if *quitting.borrow() {
                        return;
                    }
                    let outcome = attempt(&state, &transport, &mail).await;
                    if let Err(e) = record(&state, &mail, outcome).await {
                        tracing::warn!(error = %e, "cannot record a mail attempt");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the mail queue"),
        }
        tokio::select! {
            _ = state.mail_nudge.notified() => {}
            _ = quitting.changed() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn due(state: &AppState) -> Result<Vec<QueuedMail>, StoreError> {
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let now = st.clock.now();
        st.store.read(|c| mail_queue::list_due_mail(c, now, BATCH))
    })
    .await
    .map_err(|e| StoreError::Corrupt(e.to_string()))?
}

async fn attempt(state: &AppState, transport: &transport::Transport, mail: &QueuedMail) -> Outcome {
    let message = match compose::message(&state.settings, &state.secret_key, mail) {
        Ok(m) => m,
        Err(compose::ComposeError::Hopeless(why)) => return Outcome::Hopeless(why),
        Err(compose::ComposeError::Template(why)) => return Outcome::Failed(why),
    };
    match transport.send(message).await {
        Ok(()) => Outcome::Sent,
        Err(e) if e.permanent => Outcome::Hopeless(e.message),
        Err(e) => Outcome::Failed(e.message),
    }
}

/// Delete a sent or hopeless mail (auditing the latter), or schedule the next attempt.
async fn record(state: &AppState, mail: &QueuedMail, outcome: Outcome) -> Result<(), StoreError> {
    let now = state.clock.now();
    let (kind, id) = (mail.kind.clone(), mail.id);
    let failures = mail.attempts + 1;
    let give_up = match &outcome {
        Outcome::Sent => {
            tracing::info!(kind = %kind, "mail sent");
            None
        }
        Outcome::Hopeless(why) => Some(why.clone()),
        Outcome::Failed(why) if now - mail.created_at >= GIVE_UP_AFTER_SECS => Some(why.clone()),
        Outcome::Failed(why) => {
            let wait = backoff_secs(failures);
            tracing::warn!(kind = %kind, error = %why, attempt = failures, retry_in_secs = wait, "mail not sent; will retry");
            let (st, why) = (state.clone(), why.clone());
            return tokio::task::spawn_blocking(move || {
                st.store
                    .write(|c| mail_queue::reschedule_mail(c, id, now + wait, &why))
            })
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
    };
    if let Some(why) = &give_up {
        tracing::warn!(kind = %kind, error = %why, attempts = failures, "mail given up");
    }
    let username = serde_json::from_str::<crate::oidc::mail::MailParams>(&mail.params)
        .map(|p| p.username)
        .ok();
    let to = mail.recipient.clone();
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        st.store.write(|c| {
            mail_queue::delete_mail(c, id)?;
            if let Some(why) = give_up {
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at: now,
                        kind: "mail.failed".into(),
                        subject: username,
                        detail: Some(
                            serde_json::json!({"mail": kind, "to": to, "attempts": failures, "error": why})
                                .to_string(),
                        ),
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

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn retries_start_at_five_seconds_and_double_up_to_ten_minutes() {
        let waits: Vec<i64> = (1..=10).map(backoff_secs).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]);
        assert_eq!(backoff_secs(1000), 600);
    }
}
