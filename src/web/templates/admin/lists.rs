//! The admin's long lists: users (searched) and the audit log (filtered), a page at a time.

use super::AdminLayout;
use crate::web::templates::Named;
use askama::Template;
use serde::Serialize;

#[derive(Serialize)]
pub struct UserRow {
    pub path: String,
    pub username: String,
    pub name: String,
    pub email: String,
    pub flags: String,
}

/// `/admin/users?q=&after=`.
#[derive(Template, Serialize)]
#[template(path = "admin_users.html")]
pub struct AdminUsersPage {
    pub layout: AdminLayout,
    pub q: String,
    pub users: Vec<UserRow>,
    /// Links to the first and the next page (`""`: none).
    pub first: String,
    pub next: String,
}
impl Named for AdminUsersPage {
    const NAME: &'static str = "admin_users.html";
}

#[derive(Serialize)]
pub struct AuditRow {
    pub time: String,
    pub kind: String,
    pub actor: String,
    pub subject: String,
    pub client: String,
    pub ip: String,
    pub detail: String,
}

/// `/admin/audit?user=&client=&kind=&since=&until=&after=`.
#[derive(Template, Serialize)]
#[template(path = "admin_audit.html")]
pub struct AdminAuditPage {
    pub layout: AdminLayout,
    pub user: String,
    pub client: String,
    pub kind: String,
    pub since: String,
    pub until: String,
    /// `?user=...` of the filters, for the export links (`""`: no filter).
    pub filter_query: String,
    pub export_limit: i64,
    pub events: Vec<AuditRow>,
    pub first: String,
    pub next: String,
}
impl Named for AdminAuditPage {
    const NAME: &'static str = "admin_audit.html";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::templates::admin::tests::layout;
    use crate::web::templates::tests::same_in_both;

    #[test]
    fn the_list_pages_render_the_same_in_askama_and_minijinja() {
        same_in_both(
            &AdminUsersPage {
                layout: layout(),
                q: "ali".into(),
                users: vec![UserRow {
                    path: "alice".into(),
                    username: "alice".into(),
                    name: "Alice".into(),
                    email: "alice@example.com".into(),
                    flags: "admin".into(),
                }],
                first: "first".into(),
                next: "".into(),
            },
            "admin_users.html",
        );
        same_in_both(
            &AdminAuditPage {
                layout: layout(),
                user: "alice".into(),
                client: "".into(),
                kind: "login.failed".into(),
                since: "24h".into(),
                until: "".into(),
                filter_query: "?user=alice".into(),
                export_limit: 10000,
                events: vec![AuditRow {
                    time: "t".into(),
                    kind: "login.failed".into(),
                    actor: "".into(),
                    subject: "alice".into(),
                    client: "app".into(),
                    ip: "127.0.0.1".into(),
                    detail: "".into(),
                }],
                first: "".into(),
                next: "older".into(),
            },
            "admin_audit.html",
        );
    }
}
