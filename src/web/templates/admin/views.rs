//! Rows the dashboard, the keys page and the sessions page show: texts ready for the page
//! ("" when absent), so askama and minijinja render them alike.

use serde::Serialize;

/// A throttle block: a sign-in or device-code limit that was hit.
#[derive(Serialize, Debug, Clone)]
pub struct ThrottleView {
    /// `2024-05-13 14:02 UTC`.
    pub at: String,
    /// `sign-in` or `device code`.
    pub what: String,
    pub who: String,
    pub ip: String,
    /// `30 seconds`.
    pub wait: String,
}

/// A signing key with its age and state.
#[derive(Serialize, Debug, Clone)]
pub struct KeyAgeView {
    pub kid: String,
    pub alg: String,
    /// `active` or `retired`.
    pub state: String,
    pub created: String,
    /// `12 days`.
    pub age: String,
    /// `replaced in 78 days` (active) or `leaves /jwks in 5 days` (retired).
    pub next_change: String,
}

/// One of doctor's findings and its fix.
#[derive(Serialize, Debug, Clone)]
pub struct FindingView {
    /// `critical`, `warning` or `info`.
    pub severity: String,
    pub check: String,
    pub message: String,
    pub fix: String,
}

/// An active browser session of any user.
#[derive(Serialize, Debug, Clone)]
pub struct ActiveSessionView {
    pub sid: String,
    pub username: String,
    /// The username for a URL path.
    pub username_path: String,
    /// `Firefox on Linux`.
    pub device: String,
    pub ip: String,
    pub signed_in: String,
    pub last_seen: String,
    /// Sign-in methods: `pwd otp`.
    pub methods: String,
}
