//! The admin pages (`/admin`). Every page carries an [`AdminLayout`] (navigation, the admin's
//! name, the CSRF token for its forms, a notice or an error) and extends `admin_base.html`.
//! One file per area under `admin/`.

mod pages;
mod views;

pub use pages::{AdminKeysPage, AdminSessionsPage};
pub use views::{ActiveSessionView, FindingView, KeyAgeView, ThrottleView};

use super::Named;
use crate::web::svg_chart::ChartRow;
use askama::Template;
use serde::Serialize;

pub mod apis;
pub mod apps;
pub mod groups;
pub mod lists;
pub mod users;

/// What every admin page shows around its content.
#[derive(Serialize, Debug, Clone)]
pub struct AdminLayout {
    /// The signed-in admin's username.
    pub admin: String,
    /// The CSRF token every form on the page submits as `csrf_token`.
    pub csrf: String,
    /// Which navigation entry is current: dashboard, users, groups, apps, apis, keys, sessions,
    /// audit.
    pub section: &'static str,
    /// A notice after a change (`""`: none).
    pub message: String,
    /// Why a change was refused (`""`: none).
    pub error: String,
}

impl AdminLayout {
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn with_error(mut self, error: impl Into<String>) -> Self {
        self.error = error.into();
        self
    }
}

/// The dashboard: the counts, the sign-in chart, throttle blocks, key ages, doctor's findings.
#[derive(Template, Serialize)]
#[template(path = "admin.html")]
pub struct AdminPage<'a> {
    pub layout: AdminLayout,
    pub username: &'a str,
    pub users: i64,
    pub active_sessions: i64,
    pub apps: i64,
    /// The `<svg>` of `web::svg_chart` (numbers and fixed words only: inserted unescaped).
    pub chart: String,
    /// The chart's numbers as a table for screen readers: the hours with any sign-in.
    pub chart_rows: Vec<ChartRow>,
    pub signed_in: i64,
    pub failed: i64,
    pub throttle_blocks: Vec<ThrottleView>,
    pub no_throttle_blocks: bool,
    pub keys: Vec<KeyAgeView>,
    pub findings: Vec<FindingView>,
    /// `0 critical, 1 warning, 2 info`.
    pub findings_summary: String,
    /// What the page's doctor run leaves out, in a sentence.
    pub findings_leave_out: String,
}
page!(AdminPage, "admin.html");

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn layout() -> AdminLayout {
        AdminLayout {
            admin: "root".into(),
            csrf: "c".into(),
            section: "dashboard",
            message: "Done.".into(),
            error: String::new(),
        }
    }

    #[test]
    fn the_dashboard_renders_the_same_in_askama_and_minijinja() {
        super::super::tests::same_in_both(
            &AdminPage {
                layout: layout(),
                username: "root",
                users: 3,
                active_sessions: 2,
                apps: 1,
                chart: "<svg></svg>".into(),
                chart_rows: vec![ChartRow {
                    hour: "Mon 13 May 14:00".into(),
                    succeeded: 4,
                    failed: 1,
                }],
                signed_in: 4,
                failed: 1,
                throttle_blocks: vec![ThrottleView {
                    at: "2024-05-13 14:02 UTC".into(),
                    what: "sign-in".into(),
                    who: "alice".into(),
                    ip: "".into(),
                    wait: "30 seconds".into(),
                }],
                no_throttle_blocks: false,
                keys: vec![key()],
                findings: vec![FindingView {
                    severity: "warning".into(),
                    check: "permissions".into(),
                    message: "the data dir is open".into(),
                    fix: "chmod 700 x".into(),
                }],
                findings_summary: "0 critical, 1 warning, 0 info".into(),
                findings_leave_out: "x".into(),
            },
            "admin.html",
        );
    }

    fn key() -> KeyAgeView {
        KeyAgeView {
            kid: "k1".into(),
            alg: "RS256".into(),
            state: "active".into(),
            created: "2024-05-01 00:00 UTC".into(),
            age: "12 days".into(),
            next_change: "replaced in 78 days".into(),
        }
    }

    #[test]
    fn the_keys_and_sessions_pages_render_the_same_in_askama_and_minijinja() {
        super::super::tests::same_in_both(
            &AdminKeysPage {
                layout: layout(),
                keys: vec![key()],
                rotation: "90 days".into(),
                retention: "7 days".into(),
            },
            "admin_keys.html",
        );
        super::super::tests::same_in_both(
            &AdminSessionsPage {
                layout: layout(),
                sessions: vec![ActiveSessionView {
                    sid: "s1".into(),
                    username: "alice".into(),
                    username_path: "alice".into(),
                    device: "Firefox on Linux".into(),
                    ip: "192.0.2.1".into(),
                    signed_in: "2024-05-13 14:02 UTC".into(),
                    last_seen: "2024-05-13 14:05 UTC".into(),
                    methods: "pwd".into(),
                }],
                no_sessions: false,
                // (The engines escape `/` differently, both correctly.)
                older: "?after=5".into(),
                newest: "sessions".into(),
            },
            "admin_sessions.html",
        );
    }
}
