//! The admin pages (`/admin`). Every page carries an [`AdminLayout`] (navigation, the admin's
//! name, the CSRF token for its forms, a notice or an error) and extends `admin_base.html`.
//! One file per area under `admin/`.

use super::Named;
use askama::Template;
use serde::Serialize;


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

/// The dashboard: the counts.
#[derive(Template, Serialize)]
#[template(path = "admin.html")]
pub struct AdminPage<'a> {
    pub layout: AdminLayout,
    pub username: &'a str,
    pub users: i64,
    pub active_sessions: i64,
    pub apps: i64,
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
            },
            "admin.html",
        );
    }
}
