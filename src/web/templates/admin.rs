//! The admin pages (`/admin`).

use super::Named;
use askama::Template;
use serde::Serialize;

/// The dashboard: who is signed in, and the counts.
#[derive(Template, Serialize)]
#[template(path = "admin.html")]
pub struct AdminPage<'a> {
    pub username: &'a str,
    pub users: i64,
    pub active_sessions: i64,
    pub apps: i64,
}
page!(AdminPage, "admin.html");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_renders_the_same_in_askama_and_minijinja() {
        super::super::tests::same_in_both(
            &AdminPage {
                username: "root",
                users: 3,
                active_sessions: 2,
                apps: 1,
            },
            "admin.html",
        );
    }
}
