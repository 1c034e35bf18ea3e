//! Admin operations, one file per resource: the one place each rule lives. The CLI, the admin
//! pages and the admin API all call these (validation, store calls and the audit row with the
//! actor), and only parse their input and show the result themselves.

pub mod api_keys;
pub mod apis;
pub mod app_recipes;
pub mod audit_export;
pub mod audit_log;
pub mod clients;
pub mod dashboard;
pub mod gate;
pub mod groups;
pub mod keys;
pub mod onboarding;
pub mod page;
pub mod scopes;
pub mod sessions;
pub mod signin_check;
pub mod users;

pub use gate::{Gate, gate};
pub use page::{Page, PageRequest};

use crate::domain::ParseError;
use crate::store::{StoreError, Tx, audit};

/// Who made an administrative change: the audit row's `actor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// `latchkey ...` on the server.
    Cli,
    /// An admin signed in to `/admin` (the actor is their username, as for their own actions).
    Admin(String),
    /// A request to the admin API with the admin key of this name.
    ApiKey(String),
}

impl Actor {
    pub fn audit_name(&self) -> String {
        match self {
            Actor::Cli => "cli".into(),
            Actor::Admin(username) => username.clone(),
            Actor::ApiKey(name) => format!("admin-key:{name}"),
        }
    }
}

/// A refused admin operation. The message is one line, fit for the CLI, a page or a JSON error.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input breaks a rule (a malformed name, a conflicting option).
    #[error("{0}")]
    Invalid(String),
    /// The change would leave no enabled admin.
    #[error("{0:?} is the last enabled admin; make another user an admin first")]
    LastAdmin(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keys(#[from] crate::oidc::signing_keys::KeyError),
}

impl AdminError {
    /// The HTTP status and the stable `error` code of the admin API (and the status of the
    /// admin pages) for this refusal.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            AdminError::Invalid(_) => (400, "invalid_request"),
            AdminError::LastAdmin(_) => (409, "last_admin"),
            AdminError::Store(StoreError::NotFound(_)) => (404, "not_found"),
            AdminError::Store(StoreError::Conflict(_)) => (409, "conflict"),
            AdminError::Store(e) if e.is_transient() => (503, "temporarily_unavailable"),
            AdminError::Store(_) | AdminError::Keys(_) => (500, "server_error"),
        }
    }

    /// True for a refusal of the input (a person can fix it), false for a failure of ours.
    pub fn is_refusal(&self) -> bool {
        self.status_and_code().0 < 500
    }
}

impl From<ParseError> for AdminError {
    fn from(e: ParseError) -> Self {
        AdminError::Invalid(e.0)
    }
}

/// Record an administrative change with its actor and time.
pub fn record(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    event: audit::AuditEvent,
) -> Result<(), StoreError> {
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            actor: Some(actor.audit_name()),
            ..event
        },
    )
}

#[cfg(test)]
mod tests {
    use super::Actor;

    #[test]
    fn each_actor_is_named_in_the_audit_log_as_the_issue_says() {
        assert_eq!(Actor::Cli.audit_name(), "cli");
        assert_eq!(Actor::Admin("root".into()).audit_name(), "root");
        assert_eq!(Actor::ApiKey("ci".into()).audit_name(), "admin-key:ci");
    }

    #[test]
    fn refusals_have_stable_codes_and_failures_are_not_refusals() {
        use super::{AdminError, StoreError};
        let code = |e: AdminError| e.status_and_code();
        assert_eq!(
            code(AdminError::Invalid("x".into())),
            (400, "invalid_request")
        );
        assert_eq!(
            code(AdminError::LastAdmin("root".into())),
            (409, "last_admin")
        );
        assert_eq!(
            code(StoreError::NotFound("x".into()).into()),
            (404, "not_found")
        );
        assert_eq!(
            code(StoreError::Conflict("x".into()).into()),
            (409, "conflict")
        );
        assert!(!AdminError::from(StoreError::Corrupt("x".into())).is_refusal());
    }
}
